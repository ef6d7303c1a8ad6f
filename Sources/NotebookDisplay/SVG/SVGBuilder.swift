import Foundation

/// Builds a standalone SVG document as text.
///
/// The output must render the same in JupyterLab, nbconvert HTML and GitHub's notebook viewer, which show
/// SVG in an `<img>` or sanitised inline: so no scripts, no external fonts or links, no CSS classes
/// (styles are attributes), explicit `width`/`height` plus a `viewBox`, and every text escaped. Numbers
/// are written with at most two decimals so golden files stay stable and small.
struct SVGBuilder {
    let width: Double
    let height: Double
    /// A short description, written as the SVG's `<title>` and `aria-label` (read by screen readers,
    /// shown on hover); the figure's HTML `<img>` uses it as alt text.
    var accessibleTitle: String?
    private(set) var body: [String] = []

    /// The font stack for all text: generic families only, which every renderer has.
    static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// The finished document.
    var document: String {
        let w = svgNumber(width), h = svgNumber(height)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\""
        if let accessibleTitle { out += " role=\"img\" aria-label=\"\(xmlEscape(accessibleTitle))\"" }
        out += " font-family=\"\(Self.fontFamily)\" font-size=\"12\">\n"
        if let accessibleTitle { out += "<title>\(xmlEscape(accessibleTitle))</title>\n" }
        out += "<rect x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>\n"
        for line in body { out += line + "\n" }
        out += "</svg>\n"
        return out
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String,
                       width: Double = 1, dash: String? = nil) {
        var s = "<line x1=\"\(svgNumber(x1))\" y1=\"\(svgNumber(y1))\" x2=\"\(svgNumber(x2))\" y2=\"\(svgNumber(y2))\""
        s += " stroke=\"\(xmlEscape(stroke))\" stroke-width=\"\(svgNumber(width))\""
        if let dash { s += " stroke-dasharray=\"\(dash)\"" }
        body.append(s + "/>")
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil,
                       strokeWidth: Double = 1, radius: Double = 0, opacity: Double? = nil, dash: String? = nil) {
        var s = "<rect x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" width=\"\(svgNumber(w))\" height=\"\(svgNumber(h))\""
        if radius > 0 { s += " rx=\"\(svgNumber(radius))\"" }
        s += " fill=\"\(xmlEscape(fill))\""
        if let opacity { s += " fill-opacity=\"\(svgNumber(opacity))\"" }
        if let stroke { s += " stroke=\"\(xmlEscape(stroke))\" stroke-width=\"\(svgNumber(strokeWidth))\"" }
        if let dash { s += " stroke-dasharray=\"\(dash)\"" }
        body.append(s + "/>")
    }

    mutating func circle(_ cx: Double, _ cy: Double, r: Double, fill: String, stroke: String? = nil) {
        var s = "<circle cx=\"\(svgNumber(cx))\" cy=\"\(svgNumber(cy))\" r=\"\(svgNumber(r))\" fill=\"\(xmlEscape(fill))\""
        if let stroke { s += " stroke=\"\(xmlEscape(stroke))\"" }
        body.append(s + "/>")
    }

    /// An open polyline through the points (a line series); fewer than two points draw nothing.
    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2, dash: String? = nil) {
        guard points.count >= 2 else { return }
        let coords = points.map { "\(svgNumber($0.0)),\(svgNumber($0.1))" }.joined(separator: " ")
        var s = "<polyline points=\"\(coords)\" fill=\"none\" stroke=\"\(xmlEscape(stroke))\" stroke-width=\"\(svgNumber(width))\""
        s += " stroke-linejoin=\"round\" stroke-linecap=\"round\""
        if let dash { s += " stroke-dasharray=\"\(dash)\"" }
        body.append(s + "/>")
    }

    /// A filled polygon or a path given as SVG path data.
    mutating func path(_ d: String, fill: String, stroke: String? = nil, width: Double = 1) {
        var s = "<path d=\"\(d)\" fill=\"\(xmlEscape(fill))\""
        if let stroke { s += " stroke=\"\(xmlEscape(stroke))\" stroke-width=\"\(svgNumber(width))\"" }
        body.append(s + "/>")
    }

    enum Anchor: String { case start, middle, end }

    /// Text at (x, y) (y is the baseline); `rotate` turns it about its anchor point (e.g. -90 for a y label).
    mutating func text(_ x: Double, _ y: Double, _ text: String, size: Double = 12, anchor: Anchor = .start,
                       fill: String = "#222222", weight: String? = nil, rotate: Double? = nil,
                       monospace: Bool = false) {
        var s = "<text x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" font-size=\"\(svgNumber(size))\""
        if anchor != .start { s += " text-anchor=\"\(anchor.rawValue)\"" }
        s += " fill=\"\(xmlEscape(fill))\""
        if let weight { s += " font-weight=\"\(weight)\"" }
        if monospace { s += " font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\"" }
        if let rotate { s += " transform=\"rotate(\(svgNumber(rotate)) \(svgNumber(x)) \(svgNumber(y)))\"" }
        body.append(s + ">\(xmlEscape(text))</text>")
    }
}

/// Escapes text for XML/HTML content and attribute values; drops control characters XML 1.0 forbids.
public func xmlEscape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
        default:
            // XML 1.0 has no way to write other C0 controls (even as references); a parser rejects them.
            if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// A coordinate with at most two decimals and no trailing zeros ("12.5", "100", "-3.25").
func svgNumber(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let rounded = (value * 100).rounded() / 100
    if rounded == rounded.rounded() { return String(Int64(rounded)) }
    var s = String(format: "%.2f", rounded)
    while s.hasSuffix("0") { s.removeLast() }
    return s
}

/// An approximate width of `text` in pixels at `size`, for layout. Widths follow DejaVu Sans (the font
/// renderers fall back to on Linux; Helvetica and Arial are narrower, so boxes err on the roomy side):
/// ~0.62 em for digits and lower case, 0.72 for capitals, 0.35 for narrow punctuation, 1 em for CJK;
/// monospace is 0.61 em throughout and bold ~12% wider.
func estimatedTextWidth(_ text: String, size: Double, bold: Bool = false, monospace: Bool = false) -> Double {
    if monospace { return Double(text.unicodeScalars.count) * 0.61 * size }
    var ems = 0.0
    for scalar in text.unicodeScalars {
        if scalar.value >= 0x2E80 {
            ems += 1.0
        } else if "il.,:;|!'()[] ".unicodeScalars.contains(scalar) {
            ems += 0.36
        } else if scalar.properties.isUppercase || "mwMW@%".unicodeScalars.contains(scalar) {
            ems += 0.74
        } else {
            ems += 0.62
        }
    }
    return ems * size * (bold ? 1.12 : 1)
}
