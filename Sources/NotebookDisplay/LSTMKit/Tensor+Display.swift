import Foundation
import LSTMKit

/// A tensor shows its numpy-style text and an HTML table: rank ≤ 2 as one table, rank 3 as a stack of
/// tables (one per sample, rows = time steps, columns = features), with the shape and dtype in a caption.
/// Large tensors are elided like numpy (first and last entries of a long axis, "⋯" between).
extension Tensor: NotebookDisplayable {
    /// text/plain (the tensor's numpy-style description) and text/html (tables).
    public var mimeBundle: MIMEBundle {
        MIMEBundle(plainText: description, html: TensorHTML(self).render())
    }

    /// The HTML table form, with custom axis names (e.g. `["sample", "time step", "feature"]`).
    /// - Throws: `DisplayError.invalidArgument` when the number of names differs from the rank.
    public func htmlTable(axisNames: [String]) throws -> String {
        guard axisNames.count == rank else {
            throw DisplayError.invalidArgument(
                "htmlTable: expected \(rank) axis names for a tensor of shape \(shapeText(shape)), got \(axisNames.count)")
        }
        return TensorHTML(self, axisNames: axisNames).render()
    }
}

/// Renders a tensor as HTML tables (internal: `Tensor.mimeBundle` and `htmlTable(axisNames:)` use it).
struct TensorHTML {
    let tensor: Tensor
    let axisNames: [String]
    /// Rows or columns beyond these limits are elided to the first and last `edge` of them.
    let maxRows = 20, maxColumns = 12, maxSamples = 6
    let edgeRows = 8, edgeColumns = 5, edgeSamples = 2

    init(_ tensor: Tensor, axisNames: [String]? = nil) {
        self.tensor = tensor
        self.axisNames = axisNames ?? TensorHTML.defaultAxisNames(rank: tensor.rank)
    }

    /// Keras's reading of the axes: (samples, time steps, features) for rank 3.
    static func defaultAxisNames(rank: Int) -> [String] {
        switch rank {
        case 1: return ["index"]
        case 2: return ["row", "column"]
        case 3: return ["sample", "time step", "feature"]
        default: return (0..<rank).map { "axis \($0)" }
        }
    }

    func render() -> String {
        let shape = tensor.shape
        let named = zip(axisNames, shape).map { "\($0): \($1)" }.joined(separator: ", ")
        var caption = "Tensor \(shapeText(shape)) Float32"
        if tensor.rank > 0 { caption += " — \(xmlEscape(named))" }
        if tensor.count > 0 && tensor.rank > 0 && isElided { caption += " (elided)" }
        var html = "<div class=\"lstmkit-tensor\">\n"
        switch tensor.rank {
        case 0:
            html += "<div style=\"font-family:monospace\"><b>\(caption)</b>: \(cell(tensor.scalars[0]))</div>\n"
        case 1:
            html += table(caption: caption, rows: 1, columns: shape[0], rowName: nil, columnName: axisNames[0]) { _, c in tensor.scalars[c] }
        case 2:
            html += table(caption: caption, rows: shape[0], columns: shape[1], rowName: axisNames[0],
                          columnName: axisNames[1]) { r, c in tensor.scalars[r * shape[1] + c] }
        case 3:
            html += "<div style=\"font-family:monospace;font-weight:bold;margin-bottom:4px\">\(caption)</div>\n"
            let block = shape[1] * shape[2]
            for s in elidedIndices(shape[0], limit: maxSamples, edge: edgeSamples) {
                guard let s else {
                    html += "<div style=\"font-family:monospace;margin:4px 0\">⋮ \(shape[0] - 2 * edgeSamples) more \(xmlEscape(axisNames[0]))s</div>\n"
                    continue
                }
                html += table(caption: "\(xmlEscape(axisNames[0])) \(s)", rows: shape[1], columns: shape[2],
                              rowName: axisNames[1], columnName: axisNames[2]) { r, c in
                    tensor.scalars[s * block + r * shape[2] + c]
                }
            }
        default:
            // Rank ≥ 4 has no honest flat table; the numpy text keeps every axis readable.
            html += "<div style=\"font-family:monospace;font-weight:bold\">\(caption)</div>\n"
            html += "<pre>\(xmlEscape(tensor.description))</pre>\n"
        }
        return html + "</div>"
    }

    private var isElided: Bool {
        let s = tensor.shape
        switch tensor.rank {
        case 1: return s[0] > maxColumns
        case 2: return s[0] > maxRows || s[1] > maxColumns
        case 3: return s[0] > maxSamples || s[1] > maxRows || s[2] > maxColumns
        default: return false
        }
    }

    /// Indices to show along an axis of length `n`; nil marks the elision gap.
    private func elidedIndices(_ n: Int, limit: Int, edge: Int) -> [Int?] {
        if n <= limit { return Array(0..<n) }
        return Array(0..<edge) + [nil] + Array((n - edge)..<n)
    }

    private func table(caption: String, rows: Int, columns: Int, rowName: String?, columnName: String,
                       value: (Int, Int) -> Float) -> String {
        let cellStyle = "style=\"text-align:right;font-family:monospace;padding:2px 8px\""
        let headStyle = "style=\"text-align:right;font-family:monospace;padding:2px 8px;color:#666\""
        let columnIndices = elidedIndices(columns, limit: maxColumns, edge: edgeColumns)
        var html = "<table style=\"border-collapse:collapse;margin:2px 0 8px 0\">\n"
        html += "<caption style=\"caption-side:top;text-align:left;font-family:monospace;font-weight:bold\">\(caption)</caption>\n"
        html += "<thead><tr><th \(headStyle)>\(rowName.map { xmlEscape($0) + " ↓ / " } ?? "")\(xmlEscape(columnName)) →</th>"
        for c in columnIndices { html += "<th \(headStyle)>\(c.map(String.init) ?? "⋯")</th>" }
        html += "</tr></thead>\n<tbody>\n"
        for r in elidedIndices(rows, limit: maxRows, edge: edgeRows) {
            html += "<tr><th \(headStyle)>\(r.map(String.init) ?? "⋮")</th>"
            for c in columnIndices {
                if let r, let c { html += "<td \(cellStyle)>\(cell(value(r, c)))</td>" } else { html += "<td \(cellStyle)>\(r == nil ? "⋮" : "⋯")</td>" }
            }
            html += "</tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    private func cell(_ x: Float) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return String(format: "%.4g", Double(x))
    }
}

/// A shape in Python tuple notation, as Keras prints it: `(5, 3, 2)`, `(64,)`, `()`.
func shapeText(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

/// A Keras output shape with the batch axis as `None`: `(None, 3, 128)`.
func kerasShapeText(_ shape: [Int?]) -> String {
    let parts = shape.map { $0.map(String.init) ?? "None" }
    return parts.count == 1 ? "(\(parts[0]),)" : "(" + parts.joined(separator: ", ") + ")"
}
