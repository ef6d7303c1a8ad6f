import Foundation

/// Lays out and draws a `Plot` into SVG: margins sized from the tick labels, nice ticks, grid, series,
/// point labels, legend in the emptiest corner, title and axis labels.
struct PlotRenderer {
    let plot: Plot

    private struct Frame {
        var left: Double, top: Double, right: Double, bottom: Double
        var width: Double { right - left }
        var height: Double { bottom - top }
    }

    func render() -> String {
        var svg = SVGBuilder(width: plot.width, height: plot.height)
        svg.accessibleTitle = plot.altText
        let log = plot.yScale == .log
        let points = plot.series.flatMap { s in zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite && (!log || $0.1 > 0) } }

        // x axis: whole-number ticks when every x is whole (epochs, time steps, indices).
        let xs = points.map(\.0), ys = points.map(\.1)
        let integerX = !xs.isEmpty && xs.allSatisfy { $0 == $0.rounded() }
        let xScale = NiceScale(min: xs.min() ?? 0, max: xs.max() ?? 1, targetCount: Int(plot.width / 90),
                               integerStep: integerX)
        let yTicks: [Double], yLabels: [String], yLow: Double, yHigh: Double
        if log {
            let scale = LogScale(min: ys.min() ?? 0.1, max: ys.max() ?? 1)
            yTicks = scale.ticks
            yLabels = scale.exponents.map(scale.label(exponent:))
            yLow = Double(scale.lowerExponent)
            yHigh = Double(scale.upperExponent)
        } else {
            let scale = NiceScale(min: ys.min() ?? 0, max: ys.max() ?? 1, targetCount: Swift.max(3, Int(plot.height / 60)))
            yTicks = scale.ticks
            yLabels = yTicks.map(scale.label)
            yLow = scale.lower
            yHigh = scale.upper
        }

        let tickWidth = yLabels.map { estimatedTextWidth($0, size: 11) }.max() ?? 0
        let frame = Frame(left: 14 + (plot.yLabel == nil ? 0 : 20) + tickWidth,
                          top: plot.title == nil ? 16 : 40,
                          right: plot.width - 18,
                          bottom: plot.height - (plot.xLabel == nil ? 30 : 50))
        // Values beyond ±1e300 lie outside the (clamped) axes; keeping pixels within ±1e5 keeps the
        // arithmetic below finite, and such points fall outside the viewBox anyway.
        func pixel(_ value: Double) -> Double { value.isFinite ? Swift.min(Swift.max(value, -1e5), 1e5) : 0 }
        func px(_ x: Double) -> Double { pixel(frame.left + (x - xScale.lower) / (xScale.upper - xScale.lower) * frame.width) }
        func py(_ y: Double) -> Double {
            let v = log ? log10(y) : y
            return pixel(frame.bottom - (v - yLow) / (yHigh - yLow) * frame.height)
        }

        // Grid and ticks.
        svg.rect(frame.left, frame.top, frame.width, frame.height, fill: "#fbfbfb")
        for (tick, label) in zip(yTicks, yLabels) {
            let y = py(tick)
            svg.line(frame.left, y, frame.right, y, stroke: "#e3e3e3")
            svg.line(frame.left - 4, y, frame.left, y, stroke: "#444444")
            svg.text(frame.left - 7, y + 4, label, size: 11, anchor: .end, fill: "#444444")
        }
        for tick in xScale.ticks {
            let x = px(tick)
            svg.line(x, frame.top, x, frame.bottom, stroke: "#e3e3e3")
            svg.line(x, frame.bottom, x, frame.bottom + 4, stroke: "#444444")
            svg.text(x, frame.bottom + 17, xScale.label(tick), size: 11, anchor: .middle, fill: "#444444")
        }
        svg.line(frame.left, frame.bottom, frame.right, frame.bottom, stroke: "#444444")
        svg.line(frame.left, frame.top, frame.left, frame.bottom, stroke: "#444444")

        // Series.
        var occupied: [(Double, Double)] = []
        for (index, series) in plot.series.enumerated() {
            let color = series.color ?? Plot.palette[index % Plot.palette.count]
            let pixel: [(Double, Double)?] = zip(series.x, series.y).map { x, y in
                guard x.isFinite, y.isFinite, !log || y > 0 else { return nil }
                return (px(x), py(y))
            }
            if series.connected {
                // A non-finite value breaks the line rather than joining across it.
                var run: [(Double, Double)] = []
                for p in pixel + [nil] {
                    if let p { run.append(p); continue }
                    svg.polyline(run, stroke: color, width: 2, dash: series.dashed ? "7 4" : nil)
                    if run.count == 1 { drawMarker(&svg, .circle, at: run[0], color: color, size: 2.5) }
                    occupied += densify(run)
                    run = []
                }
            }
            for (i, p) in pixel.enumerated() {
                guard let p else { continue }
                drawMarker(&svg, series.marker, at: p, color: color, size: 4)
                occupied.append(p)
                if i < series.pointLabels.count, !series.pointLabels[i].isEmpty {
                    // A label that would run off the right edge goes to the left of its point instead.
                    let label = series.pointLabels[i]
                    if p.0 + 6 + estimatedTextWidth(label, size: 11) > plot.width - 2 {
                        svg.text(p.0 - 6, p.1 - 6, label, size: 11, anchor: .end, fill: "#333333")
                    } else {
                        svg.text(p.0 + 6, p.1 - 6, label, size: 11, fill: "#333333")
                    }
                }
            }
        }
        if points.isEmpty {
            svg.text((frame.left + frame.right) / 2, (frame.top + frame.bottom) / 2, "no data to plot",
                     size: 13, anchor: .middle, fill: "#888888")
        }

        drawLegend(&svg, frame: frame, occupied: occupied)

        if let title = plot.title {
            svg.text(plot.width / 2, 24, title, size: 15, anchor: .middle, weight: "bold")
        }
        if let xLabel = plot.xLabel {
            svg.text((frame.left + frame.right) / 2, plot.height - 12, xLabel, size: 12, anchor: .middle)
        }
        if let yLabel = plot.yLabel {
            svg.text(16, (frame.top + frame.bottom) / 2, yLabel, size: 12, anchor: .middle, rotate: -90)
        }
        return svg.document
    }

    private func drawMarker(_ svg: inout SVGBuilder, _ marker: Plot.Marker, at p: (Double, Double), color: String, size: Double) {
        switch marker {
        case .none: break
        case .circle: svg.circle(p.0, p.1, r: size, fill: color, stroke: "#ffffff")
        case .square: svg.rect(p.0 - size, p.1 - size, 2 * size, 2 * size, fill: color, stroke: "#ffffff")
        case .triangle:
            let d = "M\(svgNumber(p.0)),\(svgNumber(p.1 - size * 1.2)) L\(svgNumber(p.0 + size)),\(svgNumber(p.1 + size * 0.8)) L\(svgNumber(p.0 - size)),\(svgNumber(p.1 + size * 0.8)) Z"
            svg.path(d, fill: color, stroke: "#ffffff")
        case .cross:
            svg.line(p.0 - size, p.1 - size, p.0 + size, p.1 + size, stroke: color, width: 2)
            svg.line(p.0 - size, p.1 + size, p.0 + size, p.1 - size, stroke: color, width: 2)
        }
    }

    /// Points along each segment, so the legend avoids lines and not only their vertices.
    private func densify(_ run: [(Double, Double)]) -> [(Double, Double)] {
        guard run.count > 1 else { return run }
        var out: [(Double, Double)] = []
        for (a, b) in zip(run, run.dropFirst()) {
            let steps = Swift.max(1, Swift.min(20, Int(hypot(b.0 - a.0, b.1 - a.1) / 8)))
            for k in 0..<steps {
                let t = Double(k) / Double(steps)
                out.append((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t))
            }
        }
        out.append(run.last!)
        return out
    }

    private func drawLegend(_ svg: inout SVGBuilder, frame: Frame, occupied: [(Double, Double)]) {
        let entries = plot.series.enumerated().compactMap { i, s in
            s.name.map { (name: $0, series: s, color: s.color ?? Plot.palette[i % Plot.palette.count]) }
        }
        guard !entries.isEmpty, plot.legend != .hidden else { return }
        let rowHeight = 18.0
        let boxWidth = 44 + (entries.map { estimatedTextWidth($0.name, size: 12) }.max() ?? 0)
        let boxHeight = 8 + rowHeight * Double(entries.count)
        let inset = 8.0
        let corners: [(Plot.LegendPosition, Double, Double)] = [
            (.topRight, frame.right - inset - boxWidth, frame.top + inset),
            (.topLeft, frame.left + inset, frame.top + inset),
            (.bottomRight, frame.right - inset - boxWidth, frame.bottom - inset - boxHeight),
            (.bottomLeft, frame.left + inset, frame.bottom - inset - boxHeight),
        ]
        var chosen = corners[0]
        if plot.legend == .auto {
            var best = Int.max
            for corner in corners {
                let covered = occupied.filter { p in
                    p.0 >= corner.1 - 4 && p.0 <= corner.1 + boxWidth + 4 && p.1 >= corner.2 - 4 && p.1 <= corner.2 + boxHeight + 4
                }.count
                if covered < best { best = covered; chosen = corner }
            }
        } else if let fixed = corners.first(where: { $0.0 == plot.legend }) {
            chosen = fixed
        }
        let (x, y) = (chosen.1, chosen.2)
        svg.rect(x, y, boxWidth, boxHeight, fill: "#ffffff", stroke: "#bbbbbb", radius: 3, opacity: 0.9)
        for (row, entry) in entries.enumerated() {
            let cy = y + 4 + rowHeight * (Double(row) + 0.5)
            if entry.series.connected {
                svg.line(x + 8, cy, x + 32, cy, stroke: entry.color, width: 2, dash: entry.series.dashed ? "7 4" : nil)
            }
            drawMarker(&svg, entry.series.marker, at: (x + 20, cy), color: entry.color, size: 4)
            svg.text(x + 38, cy + 4, entry.name, size: 12)
        }
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
