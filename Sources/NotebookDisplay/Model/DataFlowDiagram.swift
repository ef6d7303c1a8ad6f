import Foundation

/// The "data flow" figure of the LSTM autoencoder tutorial: each tensor a sample passes through, left to
/// right, drawn to its shape — a (time steps × features) matrix as one strip per time step, a vector as a
/// single strip — with the layer that made it above and its shape (`3×128`) below. The encoded vector
/// (the bottleneck) is marked.
public struct DataFlowDiagram: NotebookDisplayable, Sendable {
    /// One tensor in the flow.
    public struct Stage: Sendable, Equatable {
        /// The layer that produced it (`input` for the sample itself).
        public var layerName: String
        /// The producing layer's class (`LSTM`, `RepeatVector`, …).
        public var className: String
        /// Per-sample shape (no batch axis), e.g. `[3, 128]` or `[64]`.
        public var shape: [Int]
        /// Drawn emphasised with a note (e.g. the encoded vector).
        public var note: String?

        /// A stage.
        public init(layerName: String, className: String, shape: [Int], note: String? = nil) {
            self.layerName = layerName
            self.className = className
            self.shape = shape
            self.note = note
        }
    }

    /// The tensors, input first.
    public var stages: [Stage]
    /// Heading.
    public var title: String

    /// A diagram of the given stages.
    public init(stages: [Stage], title: String = "Data flow of one sample") {
        self.stages = stages
        self.title = title
    }

    /// `3x2 → 3x128 → 64 → …`, the tutorial's one-line form.
    public var flowText: String { stages.map { dimensionText($0.shape, separator: "x") }.joined(separator: " → ") }

    /// text/plain (the flow line) and the SVG.
    public var mimeBundle: MIMEBundle { MIMEBundle.figure(svg: svg, alt: "\(title): \(flowText)", plainText: "\(title): \(flowText)") }

    private static let stripHeight = 12.0, stripGap = 3.0, maxStrips = 8

    /// The figure as standalone SVG.
    public var svg: String {
        let columnWidths = stages.map { stage in
            max(blockWidth(stage.shape), estimatedTextWidth(stage.layerName, size: 12, bold: true),
                estimatedTextWidth(stage.className, size: 11), estimatedTextWidth(stage.note ?? "", size: 11, bold: true)) + 20
        }
        let arrowGap = 34.0, left = 16.0
        let blockHeights = stages.map { blockHeight($0.shape) }
        let tallest = blockHeights.max() ?? 0
        let blockTop = 84.0
        let width = left * 2 + columnWidths.reduce(0, +) + arrowGap * Double(max(stages.count - 1, 0))
        let height = blockTop + tallest + 66
        var svg = SVGBuilder(width: max(width, estimatedTextWidth(title, size: 14, bold: true) + 2 * left), height: height)
        svg.accessibleTitle = "\(title): \(flowText)"
        svg.text(left, 24, title, size: 14, weight: "bold")
        svg.text(left, 42, flowText, size: 12, fill: "#555555", monospace: true)
        var x = left
        let middle = blockTop + tallest / 2
        for (i, stage) in stages.enumerated() {
            let w = columnWidths[i], cx = x + w / 2
            let emphasised = stage.note != nil
            svg.text(cx, 64, stage.layerName, size: 12, anchor: .middle, weight: "bold")
            svg.text(cx, 78, stage.className, size: 11, anchor: .middle, fill: "#666666")
            drawBlock(&svg, shape: stage.shape, centerX: cx, top: middle - blockHeights[i] / 2, emphasised: emphasised)
            let shapeY = middle + blockHeights[i] / 2 + 18
            svg.text(cx, shapeY, dimensionText(stage.shape, separator: "×"), size: 13, anchor: .middle,
                     fill: emphasised ? "#D55E00" : "#222222", weight: "bold", monospace: true)
            if let note = stage.note {
                svg.text(cx, shapeY + 16, note, size: 11, anchor: .middle, fill: "#D55E00", weight: "bold")
            }
            if i + 1 < stages.count {
                let from = x + w - 6, to = x + w + arrowGap + 6
                svg.line(from, middle, to - 7, middle, stroke: "#555555", width: 1.5)
                svg.path("M\(svgNumber(to)),\(svgNumber(middle)) L\(svgNumber(to - 8)),\(svgNumber(middle - 4)) L\(svgNumber(to - 8)),\(svgNumber(middle + 4)) Z", fill: "#555555")
            }
            x += w + arrowGap
        }
        return svg.document
    }

    /// Width grows with the logarithm of the feature count, so 2 and 128 features both fit and differ.
    private func blockWidth(_ shape: [Int]) -> Double {
        let features = max(shape.last ?? 1, 1)
        return min(120, 16 + 13 * log2(Double(features)))
    }

    private func strips(_ shape: [Int]) -> Int {
        shape.count >= 2 ? Swift.max(1, min(shape.dropLast().reduce(1, *), Self.maxStrips)) : 1
    }

    private func blockHeight(_ shape: [Int]) -> Double {
        let n = Double(strips(shape))
        return n * Self.stripHeight + (n - 1) * Self.stripGap
    }

    private func drawBlock(_ svg: inout SVGBuilder, shape: [Int], centerX: Double, top: Double, emphasised: Bool) {
        let w = blockWidth(shape)
        let fill = emphasised ? "#fde3d0" : "#dcebf7", stroke = emphasised ? "#D55E00" : "#3d7ab8"
        for k in 0..<strips(shape) {
            let y = top + Double(k) * (Self.stripHeight + Self.stripGap)
            svg.rect(centerX - w / 2, y, w, Self.stripHeight, fill: fill, stroke: stroke, strokeWidth: emphasised ? 2 : 1, radius: 2)
        }
        let steps = shape.count >= 2 ? shape.dropLast().reduce(1, *) : 1
        if steps > Self.maxStrips {
            svg.text(centerX, top + blockHeight(shape) + 2, "⋮", size: 12, anchor: .middle, fill: "#666666")
        }
    }
}

/// `[3, 128]` → `3x128`; a scalar → `1`.
func dimensionText(_ shape: [Int], separator: String) -> String {
    shape.isEmpty ? "1" : shape.map(String.init).joined(separator: separator)
}
