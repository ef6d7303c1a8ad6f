import Foundation

/// A 2-D chart rendered as standalone SVG: line series, scatter series with point labels, or both
/// overlaid, with axes, nice ticks, grid, legend, title and axis labels. No Python needed.
///
/// ```swift
/// var plot = Plot(title: "Training", xLabel: "epoch", yLabel: "loss (MSE)")
/// plot.addLine(history.loss, name: "loss")
/// plot.addLine(history.valLoss, name: "val_loss", dashed: true)
/// display(plot)
/// ```
public struct Plot: NotebookDisplayable, Sendable {
    /// How values map to the y axis.
    public enum Scale: Sendable { case linear, log }
    /// Where the legend goes; `.auto` picks the plot corner that covers the fewest data points.
    public enum LegendPosition: Sendable { case auto, topRight, topLeft, bottomRight, bottomLeft, hidden }
    /// The mark drawn at each data point.
    public enum Marker: Sendable { case none, circle, square, triangle, cross }

    /// One data series: points, how they are drawn, and an optional label per point.
    public struct Series: Sendable {
        /// Legend entry; unnamed series are left out of the legend.
        public var name: String?
        /// x coordinates (same count as `y`).
        public var x: [Double]
        /// y coordinates; non-finite values leave a gap in a line.
        public var y: [Double]
        /// Whether consecutive points are joined.
        public var connected: Bool
        /// Point mark.
        public var marker: Marker
        /// A dashed line (e.g. validation curves).
        public var dashed: Bool
        /// CSS colour; nil takes the next palette colour.
        public var color: String?
        /// Text written beside each point (scatter plots of encodings); empty = none.
        public var pointLabels: [String]
    }

    /// Heading above the chart.
    public var title: String?
    /// x-axis caption.
    public var xLabel: String?
    /// y-axis caption.
    public var yLabel: String?
    /// Size of the image in pixels.
    public var width: Double
    /// Size of the image in pixels.
    public var height: Double
    /// Linear (default) or logarithmic y axis (losses falling over decades read better on a log axis).
    public var yScale: Scale = .linear
    /// Legend placement.
    public var legend: LegendPosition = .auto
    /// The series, drawn in order (later ones on top).
    public private(set) var series: [Series] = []

    /// An empty plot; add series with `addLine` / `addScatter`.
    /// Width and height are clamped to 160...4000 pixels so a typo cannot produce an unusable image.
    public init(title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
                width: Double = 640, height: Double = 400) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.width = Swift.min(Swift.max(width.isFinite ? width : 640, 160), 4000)
        self.height = Swift.min(Swift.max(height.isFinite ? height : 400, 120), 4000)
    }

    /// Adds a line through `y` at x = 0, 1, 2, … (or x = 1, 2, … with `startAt: 1`, e.g. epochs).
    public mutating func addLine<Y: BinaryFloatingPoint>(_ y: [Y], name: String? = nil, startAt: Int = 0,
                                                         dashed: Bool = false, marker: Marker = .none,
                                                         color: String? = nil) {
        let x = (0..<y.count).map { Double($0 + startAt) }
        series.append(Series(name: name, x: x, y: y.map { Double($0) }, connected: true, marker: marker,
                             dashed: dashed, color: color, pointLabels: []))
    }

    /// Adds a line through the points (x[i], y[i]).
    /// - Throws: `DisplayError.invalidArgument` when `x` and `y` differ in length.
    public mutating func addLine<X: BinaryFloatingPoint, Y: BinaryFloatingPoint>(
        x: [X], y: [Y], name: String? = nil, dashed: Bool = false, marker: Marker = .none, color: String? = nil
    ) throws {
        try Self.checkCounts(x: x.count, y: y.count, what: "addLine")
        series.append(Series(name: name, x: x.map { Double($0) }, y: y.map { Double($0) }, connected: true,
                             marker: marker, dashed: dashed, color: color, pointLabels: []))
    }

    /// Adds unconnected points, optionally each with a text label (e.g. which sequence an encoding came from).
    /// - Throws: `DisplayError.invalidArgument` when `x`, `y` and a non-empty `labels` differ in length.
    public mutating func addScatter<X: BinaryFloatingPoint, Y: BinaryFloatingPoint>(
        x: [X], y: [Y], labels: [String] = [], name: String? = nil, marker: Marker = .circle, color: String? = nil
    ) throws {
        try Self.checkCounts(x: x.count, y: y.count, what: "addScatter")
        if !labels.isEmpty && labels.count != x.count {
            throw DisplayError.invalidArgument(
                "addScatter: expected one label per point (\(x.count)), got \(labels.count) labels")
        }
        series.append(Series(name: name, x: x.map { Double($0) }, y: y.map { Double($0) }, connected: false,
                             marker: marker == .none ? .circle : marker, dashed: false, color: color,
                             pointLabels: labels))
    }

    /// The chart as a standalone SVG document.
    public var svg: String { PlotRenderer(plot: self).render() }

    /// A text summary of the series (what a terminal or `nbconvert --to script` shows).
    public var textSummary: String {
        var lines = ["Plot" + (title.map { ": \($0)" } ?? "") + " (\(series.count) series)"]
        for (i, s) in series.enumerated() {
            let finite = s.y.filter(\.isFinite)
            var line = "  \(s.name ?? "series \(i + 1)"): \(s.y.count) points"
            if let lo = finite.min(), let hi = finite.max() {
                line += ", y from \(compactNumber(lo)) to \(compactNumber(hi))"
                if s.connected, let last = finite.last { line += ", last \(compactNumber(last))" }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// What the chart shows in one sentence (its `<title>`, its `<img>` alt text): the title, then each
    /// series as the text summary gives it.
    public var altText: String {
        textSummary.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "; ")
    }

    /// SVG, the SVG as an `<img>` with alt text (HTML), and the text summary (see `MIMEBundle.figure`).
    public var mimeBundle: MIMEBundle { MIMEBundle.figure(svg: svg, alt: altText, plainText: textSummary) }

    private static func checkCounts(x: Int, y: Int, what: String) throws {
        if x != y {
            throw DisplayError.invalidArgument("\(what): expected as many x values as y values, got \(x) x and \(y) y")
        }
    }

    /// Colours for series without one (colour-blind-friendly Okabe–Ito order, then greys).
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000", "#999999"]
}

/// A number in at most 4 significant digits ("0.01234", "248578" stays whole).
func compactNumber(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
    if value == value.rounded(), abs(value) < 1e7 { return String(Int64(value)) }
    return String(format: "%.4g", value)
}
