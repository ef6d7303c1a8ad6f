import Foundation

/// An RNN layer unrolled over time: one cell per time step, the state (h, c) carried from step to step,
/// an input x under every step, and — the point of the picture — which steps emit outputs:
/// every step with `returnSequences`, only the last one without. Final states appear on the right when
/// `returnState` is set; `goBackwards` runs the steps over the inputs in reverse.
public struct UnrolledRNNDiagram: NotebookDisplayable, Sendable {
    /// `LSTM`, `GRU` or `SimpleRNN`.
    public var cellType: String
    /// Layer name shown in the title.
    public var layerName: String
    /// Hidden size.
    public var units: Int
    /// Number of time steps drawn (long sequences are elided in the middle).
    public var timesteps: Int
    /// Features per input step, when known.
    public var inputFeatures: Int?
    /// Whether every step's output is returned.
    public var returnSequences: Bool
    /// Whether the final states are returned too.
    public var returnState: Bool
    /// Whether the inputs are processed last to first.
    public var goBackwards: Bool
    /// Set for a `Bidirectional` layer (its merge mode: `concat`, `sum`, `mul`, `ave`, or `None`): the forward pass is
    /// drawn above the backward pass, and the output is the two merged.
    public var bidirectionalMerge: String?

    /// A diagram from explicit settings.
    /// - Throws: `DisplayError.invalidArgument` unless `timesteps` ≥ 1 and `units` ≥ 1.
    public init(cellType: String = "LSTM", layerName: String = "lstm", units: Int, timesteps: Int, inputFeatures: Int? = nil,
                returnSequences: Bool, returnState: Bool = false, goBackwards: Bool = false) throws {
        guard timesteps >= 1 else { throw DisplayError.invalidArgument("UnrolledRNNDiagram: expected at least 1 time step, got \(timesteps)") }
        guard units >= 1 else { throw DisplayError.invalidArgument("UnrolledRNNDiagram: expected at least 1 unit, got \(units)") }
        self.cellType = cellType
        self.layerName = layerName
        self.units = units
        self.timesteps = timesteps
        self.inputFeatures = inputFeatures
        self.returnSequences = returnSequences
        self.returnState = returnState
        self.goBackwards = goBackwards
    }

    /// Number of state tensors the cell carries (an LSTM has h and c).
    var stateNames: [String] { cellType == "LSTM" ? ["h", "c"] : ["h"] }

    /// The output shape(s) with the batch axis as None.
    public var outputShapeText: String {
        let merged = bidirectionalMerge == "concat" ? 2 * units : units
        let output = returnSequences ? kerasShapeText([nil, timesteps, merged]) : kerasShapeText([nil, merged])
        // merge_mode=None: the forward and backward outputs are separate.
        let outputs = bidirectionalMerge == "None" ? [output, output] : [output]
        guard returnState || outputs.count > 1 else { return output }
        let states = !returnState ? [] : bidirectionalMerge == nil ? stateNames : stateNames + stateNames
        return "[" + (outputs + states.map { _ in kerasShapeText([nil, units]) }).joined(separator: ", ") + "]"
    }

    /// The layer call written the Keras way, e.g. `LSTM(64, return_sequences=True)`.
    public var signature: String {
        var args = ["\(units)"]
        if returnSequences { args.append("return_sequences=True") }
        if returnState { args.append("return_state=True") }
        if goBackwards { args.append("go_backwards=True") }
        let layer = "\(cellType)(\(args.joined(separator: ", ")))"
        return bidirectionalMerge.map { "Bidirectional(\(layer), merge_mode=\($0))" } ?? layer
    }

    /// One sentence saying what comes out.
    public var explanation: String {
        var s = returnSequences ? "h of every one of the \(timesteps) steps is returned" : "only the last step's h is returned"
        if returnState { s += ", plus the final " + stateNames.joined(separator: " and ") }
        if let merge = bidirectionalMerge {
            s += merge == "None" ? " by each direction, kept separate (merge_mode=None)" : " by each direction, merged by \(merge)"
        }
        return s
    }

    private var title: String { layerName.isEmpty ? signature : "\(layerName): \(signature)" }
    private var subtitle: String { "output \(outputShapeText): \(explanation)" }

    /// The picture as standalone SVG.
    public var svg: String {
        guard bidirectionalMerge != nil else {
            var svg = SVGBuilder(width: width, height: height)
            svg.accessibleTitle = textSummary
            draw(into: &svg, top: 0)
            return svg.document
        }
        // Both passes of a Bidirectional layer: the same cell run forward, then over the reversed inputs.
        let (forward, backward) = passes
        var svg = SVGBuilder(width: max(width, forward.width, backward.width), height: forward.height + backward.height)
        svg.accessibleTitle = textSummary
        forward.draw(into: &svg, top: 0)
        svg.line(12, forward.height, svg.width - 12, forward.height, stroke: "#cccccc", dash: "4 4")
        backward.draw(into: &svg, top: forward.height)
        return svg.document
    }

    /// A Bidirectional layer's two passes, each drawn as a plain diagram.
    private var passes: (forward: UnrolledRNNDiagram, backward: UnrolledRNNDiagram) {
        var forward = self
        forward.bidirectionalMerge = nil
        forward.goBackwards = false
        forward.layerName = layerName.isEmpty ? "forward" : "\(layerName), forward"
        var backward = forward
        backward.goBackwards = true
        backward.layerName = layerName.isEmpty ? "backward" : "\(layerName), backward"
        return (forward, backward)
    }

    /// text/plain: the signature, the output shape and which steps emit.
    public var textSummary: String {
        "\(title), \(timesteps) steps → output \(outputShapeText): \(explanation)"
    }

    /// SVG plus the text summary.
    public var mimeBundle: MIMEBundle { MIMEBundle.figure(svg: svg, alt: textSummary, plainText: textSummary) }

    /// Two diagrams of the same layer size one above the other: returnSequences false, then true.
    public static func returnSequencesComparison(cellType: String = "LSTM", units: Int, timesteps: Int,
                                                 inputFeatures: Int? = nil) throws -> SVGImage {
        let without = try UnrolledRNNDiagram(cellType: cellType, layerName: "", units: units,
                                             timesteps: timesteps, inputFeatures: inputFeatures, returnSequences: false)
        var with = without
        with.returnSequences = true
        var svg = SVGBuilder(width: max(without.width, with.width), height: without.height + with.height)
        svg.accessibleTitle = "\(without.signature) versus \(with.signature), unrolled over \(timesteps) steps"
        without.draw(into: &svg, top: 0)
        svg.line(12, without.height, svg.width - 12, without.height, stroke: "#cccccc", dash: "4 4")
        with.draw(into: &svg, top: without.height)
        return SVGImage(svg.document, altText: without.textSummary + "\n" + with.textSummary)
    }

    // MARK: - Layout

    private static let column = 92.0, cellWidth = 64.0, cellHeight = 44.0, left = 24.0

    /// Step indices drawn (in processing order); nil is the "⋯" gap of a long sequence.
    private var drawnSteps: [Int?] {
        timesteps <= 7 ? Array(0..<timesteps) : [0, 1, 2, nil, timesteps - 2, timesteps - 1]
    }

    var width: Double {
        let picture = Self.left * 2 + Double(drawnSteps.count) * Self.column + (returnState ? 110 : 0)
        let texts = max(estimatedTextWidth(title, size: 14, bold: true), estimatedTextWidth(subtitle, size: 12))
        return max(picture, texts + 2 * Self.left)
    }
    var height: Double { 270 }

    func draw(into svg: inout SVGBuilder, top: Double) {
        let steps = drawnSteps
        let cellTop = top + 116
        func columnX(_ k: Int) -> Double { Self.left + Double(k) * Self.column + Self.column / 2 }
        svg.text(Self.left, top + 22, title, size: 14, weight: "bold")
        svg.text(Self.left, top + 40, subtitle, size: 12, fill: "#444444")

        for (k, step) in steps.enumerated() {
            let x = columnX(k)
            guard let step else {
                svg.text(x, cellTop + Self.cellHeight / 2 + 5, "⋯", size: 20, anchor: .middle, fill: "#666666")
                continue
            }
            // Which input this step reads: reversed with goBackwards (outputs stay in processing order).
            let inputIndex = goBackwards ? timesteps - 1 - step : step
            let emits = returnSequences || step == timesteps - 1
            // Input box and arrow up into the cell.
            svg.rect(x - 22, cellTop + 84, 44, 24, fill: "#f3f3f3", stroke: "#999999", radius: 4)
            svg.text(x, cellTop + 100, "x" + subscriptDigits(inputIndex), size: 13, anchor: .middle)
            arrow(&svg, from: (x, cellTop + 84), to: (x, cellTop + Self.cellHeight + 2), color: "#777777")
            // The cell.
            svg.rect(x - Self.cellWidth / 2, cellTop, Self.cellWidth, Self.cellHeight, fill: "#dcebf7", stroke: "#3d7ab8", strokeWidth: 1.5, radius: 6)
            svg.text(x, cellTop + 19, cellType, size: 12, anchor: .middle, weight: "bold")
            svg.text(x, cellTop + 35, "t = \(step)", size: 11, anchor: .middle, fill: "#444444")
            // Output above: solid when returned, faint and dashed when computed but dropped.
            let outTop = top + 56
            let label = "h" + subscriptDigits(step)
            if emits {
                arrow(&svg, from: (x, cellTop), to: (x, outTop + 26), color: "#D55E00", width: 2)
                svg.rect(x - 22, outTop, 44, 24, fill: "#fde3d0", stroke: "#D55E00", strokeWidth: 1.5, radius: 4)
                svg.text(x, outTop + 16, label, size: 13, anchor: .middle, fill: "#8a3200", weight: "bold")
            } else {
                svg.line(x, cellTop, x, outTop + 24, stroke: "#cccccc", dash: "3 3")
                svg.rect(x - 22, outTop, 44, 24, fill: "#ffffff", stroke: "#cccccc", radius: 4, dash: "3 3")
                svg.text(x, outTop + 16, label, size: 13, anchor: .middle, fill: "#bbbbbb")
            }
            // State carried to the next drawn step.
            if k + 1 < steps.count {
                let next = columnX(k + 1)
                let to = steps[k + 1] == nil ? next - 14 : next - Self.cellWidth / 2 - 2
                arrow(&svg, from: (x + Self.cellWidth / 2, cellTop + Self.cellHeight / 2), to: (to, cellTop + Self.cellHeight / 2), color: "#3d7ab8")
                if k == 0 {
                    svg.text((x + Self.cellWidth / 2 + to) / 2, cellTop + Self.cellHeight / 2 - 5,
                             stateNames.joined(separator: ", "), size: 10, anchor: .middle, fill: "#3d7ab8")
                }
            }
            if k > 0, steps[k - 1] == nil {
                arrow(&svg, from: (x - Self.column + 14, cellTop + Self.cellHeight / 2), to: (x - Self.cellWidth / 2 - 2, cellTop + Self.cellHeight / 2), color: "#3d7ab8")
            }
        }
        // Final states on the right.
        if returnState, let lastColumn = steps.indices.last {
            let x = columnX(lastColumn) + Self.cellWidth / 2
            for (i, name) in stateNames.enumerated() {
                let y = cellTop + 4 + Double(i) * 22
                arrow(&svg, from: (x, y + 8), to: (x + 34, y + 8), color: "#009E73", width: 2)
                svg.rect(x + 36, y - 2, 70, 20, fill: "#d9f2ea", stroke: "#009E73", radius: 4)
                svg.text(x + 71, y + 12, "state_\(name)", size: 11, anchor: .middle, fill: "#005a41")
            }
        }
        let direction = goBackwards ? "processing order: x" + subscriptDigits(timesteps - 1) + " first (go_backwards)" : "time →"
        let features = inputFeatures.map { "each x: \($0) feature\($0 == 1 ? "" : "s"), " } ?? ""
        svg.text(Self.left, top + height - 16, "\(features)\(units) units · \(direction)", size: 11, fill: "#666666")
    }

    private func arrow(_ svg: inout SVGBuilder, from a: (Double, Double), to b: (Double, Double), color: String, width: Double = 1.5) {
        let angle = atan2(b.1 - a.1, b.0 - a.0)
        let tip = b, back = 7.0, half = 4.0
        let base = (tip.0 - back * cos(angle), tip.1 - back * sin(angle))
        svg.line(a.0, a.1, base.0, base.1, stroke: color, width: width)
        let p1 = (base.0 + half * sin(angle), base.1 - half * cos(angle))
        let p2 = (base.0 - half * sin(angle), base.1 + half * cos(angle))
        svg.path("M\(svgNumber(tip.0)),\(svgNumber(tip.1)) L\(svgNumber(p1.0)),\(svgNumber(p1.1)) L\(svgNumber(p2.0)),\(svgNumber(p2.1)) Z", fill: color)
    }
}

/// 12 → "₁₂".
func subscriptDigits(_ n: Int) -> String {
    let digits: [Character] = ["₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"]
    return String(String(n).map { $0 == "-" ? "₋" : digits[Int(String($0))!] })
}
