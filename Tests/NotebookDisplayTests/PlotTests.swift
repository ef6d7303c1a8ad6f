import Foundation
import XCTest
import NotebookDisplay

final class NiceScaleTests: XCTestCase {
    func testTicksCoverTheDataAtNiceValues() {
        let s = NiceScale(min: 0.013, max: 0.53, targetCount: 6)
        XCTAssertEqual(s.ticks, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
        XCTAssertEqual(s.ticks.map(s.label), ["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6"])
    }

    func testEpochAxisUsesWholeNumbers() {
        XCTAssertEqual(NiceScale(min: 1, max: 300, targetCount: 7, integerStep: true).ticks, [0, 50, 100, 150, 200, 250, 300])
        XCTAssertEqual(NiceScale(min: 1, max: 3, targetCount: 6, integerStep: true).ticks, [1, 2, 3],
                       "three epochs must not get a tick at 1.5")
    }

    func testQuarterStepsGetTwoDecimals() {
        let s = NiceScale(min: -0.45, max: 0.95, targetCount: 6)
        XCTAssertEqual(s.step, 0.25)
        XCTAssertEqual(s.label(0.75), "0.75")
        XCTAssertEqual(s.label(-0.5), "-0.50")
    }

    func testConstantAndTinyRanges() {
        let constant = NiceScale(min: 5, max: 5)
        XCTAssertLessThan(constant.lower, 5)
        XCTAssertGreaterThan(constant.upper, 5)
        XCTAssertEqual(NiceScale(min: 0, max: 0).ticks.first, -1)
        let tiny = NiceScale(min: 1e-5, max: 3e-5)
        XCTAssertEqual(tiny.label(2e-5), "2e-5")
        let nonFinite = NiceScale(min: .nan, max: .infinity)
        XCTAssertTrue(nonFinite.ticks.allSatisfy(\.isFinite))
        let huge = NiceScale(min: -.greatestFiniteMagnitude, max: .greatestFiniteMagnitude)
        XCTAssertTrue(huge.ticks.count >= 2 && huge.ticks.count < 20 && huge.ticks.allSatisfy(\.isFinite))
    }
}

final class PlotTests: XCTestCase {
    static func trainingPlot() -> Plot {
        var plot = Plot(title: "Training loss", xLabel: "epoch", yLabel: "loss (MSE)")
        let loss = (1...60).map { (e: Int) -> Double in 0.5 * exp(-Double(e) / 12) + 0.01 }
        let val = (1...60).map { (e: Int) -> Double in 0.55 * exp(-Double(e) / 15) + 0.03 }
        plot.addLine(loss, name: "loss", startAt: 1)
        plot.addLine(val, name: "val_loss", startAt: 1, dashed: true)
        return plot
    }

    func testLinePlotShowsTitleAxesTicksAndLegend() {
        let svg = Self.trainingPlot().svg
        assertWellFormedSVG(svg)
        let texts = svgTexts(svg)
        for expected in ["Training loss", "epoch", "loss (MSE)", "loss", "val_loss", "0", "60", "0.5"] {
            XCTAssertTrue(texts.contains(expected), "missing text \(expected) in \(texts)")
        }
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2, "one line per series")
        XCTAssertTrue(svg.contains("stroke-dasharray=\"7 4\""), "val_loss is dashed")
        assertGolden(svg, named: "plot_training_loss.svg")
    }

    func testTextFallbackSummarisesTheSeries() {
        let bundle = Self.trainingPlot().mimeBundle
        XCTAssertTrue(bundle.plainText.hasPrefix("Plot: Training loss (2 series)"))
        XCTAssertTrue(bundle.plainText.contains("loss: 60 points"))
        XCTAssertNotNil(bundle["image/svg+xml"])
    }

    func testScatterWithPointLabels() throws {
        var plot = Plot(title: "2-D encodings", xLabel: "code 0", yLabel: "code 1", width: 480, height: 400)
        try plot.addScatter(x: [0.1, 0.5, -0.3, 0.8], y: [0.2, -0.4, 0.9, 0.7] as [Float],
                            labels: ["seq 0", "seq 1", "seq <2> & co", "seq 3"], name: "encoded")
        let svg = plot.svg
        assertWellFormedSVG(svg)
        let texts = svgTexts(svg)
        XCTAssertTrue(texts.contains("seq <2> & co"), "labels are escaped and shown as written")
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 5, "four points plus the legend marker")
        assertGolden(svg, named: "plot_scatter_labels.svg")
    }

    func testLabelsAtTheRightEdgeStayInsideThePicture() throws {
        var plot = Plot(width: 400, height: 300)
        try plot.addScatter(x: [0.0, 1.0], y: [0.0, 1.0], labels: ["left", "a long label at the right edge"])
        let line = try XCTUnwrap(plot.svg.split(separator: "\n").first { $0.contains(">a long label at the right edge<") })
        XCTAssertTrue(line.contains("text-anchor=\"end\""), "right-edge label is drawn leftwards: \(line)")
    }

    func testMismatchedInputsThrowClearErrors() {
        var plot = Plot()
        XCTAssertThrowsError(try plot.addLine(x: [1.0, 2.0], y: [1.0])) { error in
            XCTAssertEqual("\(error)", "addLine: expected as many x values as y values, got 2 x and 1 y")
        }
        XCTAssertThrowsError(try plot.addScatter(x: [1.0], y: [1.0], labels: ["a", "b"])) { error in
            XCTAssertTrue("\(error)".contains("expected one label per point (1), got 2 labels"))
        }
        XCTAssertTrue(plot.series.isEmpty, "a rejected series is not added")
    }

    func testNaNBreaksTheLineAndEmptyPlotsSaySo() {
        var plot = Plot()
        plot.addLine([1.0, 2.0, .nan, 3.0, 4.0], name: "gappy")
        XCTAssertEqual(plot.svg.components(separatedBy: "<polyline").count - 1, 2)
        let empty = Plot(title: "nothing").svg
        assertWellFormedSVG(empty)
        XCTAssertTrue(svgTexts(empty).contains("no data to plot"))
    }

    func testLogScaleUsesDecades() {
        var plot = Plot(yLabel: "loss")
        plot.yScale = .log
        plot.addLine([0.5, 0.05, 0.004], name: "loss")
        let texts = svgTexts(plot.svg)
        for decade in ["0.001", "0.01", "0.1", "1"] where decade != "0.001" {
            XCTAssertTrue(texts.contains(decade), "missing decade \(decade) in \(texts)")
        }
        XCTAssertTrue(texts.contains("1e-3"))
    }

    func testLegendMovesAwayFromTheData() throws {
        // A line rising into the top-right corner: the legend must go elsewhere.
        var plot = Plot(width: 400, height: 300)
        plot.addLine((0..<50).map { Double($0 * $0) }, name: "rising")
        let svg = plot.svg
        let legendRect = try XCTUnwrap(svg.split(separator: "\n").first { $0.contains("stroke=\"#bbbbbb\"") })
        let x = try XCTUnwrap(Double(legendRect.components(separatedBy: "x=\"")[1].prefix { $0 != "\"" }))
        XCTAssertLessThan(x, 200, "legend should sit on the left, got x=\(x)")
    }

    func testExtremeValuesStillDraw() {
        var plot = Plot()
        plot.addLine([-Double.greatestFiniteMagnitude, 0, Double.greatestFiniteMagnitude], name: "extreme")
        assertWellFormedSVG(plot.svg)
        let flow = DataFlowDiagram(stages: [.init(layerName: "input", className: "InputLayer", shape: [0, 3]),
                                            .init(layerName: "empty", className: "Reshape", shape: [])])
        assertWellFormedSVG(flow.svg)
        XCTAssertFalse(flow.svg.contains("height=\"-"), "no negative sizes")
    }

    func testSizeIsClampedToSomethingUsable() {
        let plot = Plot(width: -5, height: .infinity)
        XCTAssertEqual(plot.width, 160)
        XCTAssertEqual(plot.height, 400)
    }
}

final class SVGEscapingTests: XCTestCase {
    func testUserTextAndColoursCannotBreakTheDocument() throws {
        var plot = Plot(title: "a <b> & \"c\" \u{1}", xLabel: "x'", yLabel: "--> y")
        plot.addLine([1.0, 2.0], name: "</svg>", color: "red\" onload=\"alert(1)")
        let svg = plot.svg
        assertWellFormedSVG(svg)
        XCTAssertFalse(svg.contains("onload=\""), "a colour cannot add attributes")
        let texts = svgTexts(svg)
        XCTAssertTrue(texts.contains("a <b> & \"c\" "), "text is escaped, control characters dropped: \(texts)")
        XCTAssertTrue(texts.contains("</svg>"))
    }
}

final class PlotRobustnessTests: XCTestCase {
    /// A small deterministic generator, so a failure repeats.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func testRandomDataNeverCrashesAndAlwaysParses() throws {
        var rng = SplitMix(state: 42)
        let specials: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 1e-300, -1e-300, 1e300, .greatestFiniteMagnitude,
                                  -.greatestFiniteMagnitude, .leastNonzeroMagnitude]
        for round in 0..<400 {
            var plot = Plot(title: round % 3 == 0 ? nil : "round \(round)", xLabel: "x", yLabel: round % 2 == 0 ? "y" : nil,
                            width: Double.random(in: 100...900, using: &rng), height: Double.random(in: 100...700, using: &rng))
            if round % 4 == 0 { plot.yScale = .log }
            for s in 0..<Int.random(in: 0...3, using: &rng) {
                let n = Int.random(in: 0...40, using: &rng)
                let magnitude = pow(10, Double.random(in: -12...12, using: &rng))
                let y = (0..<n).map { _ in
                    Int.random(in: 0..<10, using: &rng) == 0 ? specials.randomElement(using: &rng)!
                        : Double.random(in: -1...1, using: &rng) * magnitude
                }
                if s % 2 == 0 {
                    plot.addLine(y, name: "s\(s)", dashed: s == 2, marker: .triangle)
                } else {
                    try plot.addScatter(x: y.map { $0 * 2 }, y: y, labels: y.map { _ in "p" }, name: "s\(s)", marker: .square)
                }
            }
            let svg = plot.svg
            assertWellFormedSVG(svg)
            XCTAssertFalse(svg.contains("nan") || svg.contains("inf"), "round \(round): non-finite coordinates written")
        }
    }
}
