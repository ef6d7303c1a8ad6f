import Foundation
import XCTest
@testable import LSTMKit
import NotebookDisplay
import TestSupport

final class TrainingDisplayTests: XCTestCase {
    static func history(epochs: Int, validation: Bool = true) -> History {
        var history = History()
        for e in 0..<epochs {
            var logs = TrainingLogs()
            logs.set("loss", 0.5 / Float(e + 1))
            if validation { logs.set("val_loss", 0.6 / Float(e + 1) + 0.01) }
            history.record(epoch: e, logs: logs)
        }
        return history
    }

    func testHistoryDisplaysAsALossPlot() throws {
        let history = Self.history(epochs: 5)
        let bundle = history.mimeBundle
        let svg = try XCTUnwrap(bundle["image/svg+xml"])
        assertWellFormedSVG(svg)
        let texts = svgTexts(svg)
        XCTAssertTrue(texts.contains("loss") && texts.contains("val_loss") && texts.contains("epoch"))
        XCTAssertTrue(texts.contains("1") && texts.contains("5"), "epochs are numbered from 1, as Keras prints them")
        XCTAssertFalse(texts.contains("0.5") && texts.contains("4.5"), "no half epochs")
        XCTAssertTrue(svg.contains("stroke-dasharray"), "val_loss is dashed")
        XCTAssertTrue(bundle.plainText.hasPrefix("History: 5 epochs"))
        XCTAssertTrue(bundle.plainText.contains("loss: 0.5000 → 0.1000 (best 0.1000 at epoch 5)"))
    }

    func testSeveralRunsOverlaid() {
        let plot = plotHistories([("4 units", Self.history(epochs: 10)), ("32 units", Self.history(epochs: 10))])
        XCTAssertEqual(plot.series.count, 4)
        XCTAssertEqual(plot.series.map(\.name), ["4 units loss", "4 units val_loss", "32 units loss", "32 units val_loss"])
        XCTAssertEqual(plot.series[0].color, plot.series[1].color, "a run's curves share a colour")
        XCTAssertNotEqual(plot.series[0].color, plot.series[2].color)
        let bySplit = plotHistories((1...5).map { ("run \($0)", Self.history(epochs: 10)) }, colorBySplit: true)
        XCTAssertEqual(bySplit.series.count, 10)
        XCTAssertEqual(bySplit.series.compactMap(\.name), ["train", "validation"], "two legend entries for five runs")
        XCTAssertEqual(Set(bySplit.series.map(\.color)).count, 2)
    }

    func testPredictionPlotPerFeature() throws {
        let actual = try TutorialModels.temporalizedSeries()
        let predicted = actual * 0.9
        let plot = try predictionPlot(actual: actual, predicted: predicted, featureNames: ["x", "x³"])
        XCTAssertEqual(plot.series.map(\.name), ["actual (x)", "predicted (x)", "actual (x³)", "predicted (x³)"])
        XCTAssertEqual(plot.series[0].y.count, 15, "5 samples × 3 steps")
        assertWellFormedSVG(plot.svg)
        XCTAssertThrowsError(try predictionPlot(actual: actual, predicted: try Tensor.zeros([5, 3]))) { error in
            XCTAssertTrue("\(error)".contains("expected predicted to have the shape of actual (5, 3, 2), got (5, 3)"))
        }
    }

    func testThrottleAllowsTenPerSecondAndForcedUpdates() {
        var throttle = UpdateThrottle(minimumInterval: 0.1)
        let sent = stride(from: 0.0, to: 1.0, by: 0.01).filter { throttle.shouldSend(now: $0) }.count
        XCTAssertEqual(sent, 10, accuracy: 1)
        XCTAssertTrue(throttle.shouldSend(now: 0.995, force: true))
    }

    /// Fake time for the reporter, advanced by the simulated fit.
    final class Clock: @unchecked Sendable { var now = 100.0 }

    /// A fit of `epochs` epochs, a batch every 20 ms of fake time.
    private func simulateFit(reporter: LiveProgressReporter, settings: ProgressSettings, clock: Clock, epochs: Int) {
        for epoch in 0..<epochs {
            reporter.epochBegan(epoch, settings: settings)
            var logs = TrainingLogs()
            for step in 1...settings.stepsPerEpoch {
                clock.now += 0.02
                logs.set("loss", 1 / Float(epoch * 4 + step))
                reporter.batchEnded(step: step, logs: logs, settings: settings)
            }
            logs.set("val_loss", 2 / Float(epoch + 1))
            reporter.epochEnded(epoch, logs: logs, seconds: 0.08, settings: settings)
        }
        reporter.finished(settings: settings)
    }

    func testLiveProgressIsOneDisplayUpdatedInPlaceAndEndsWithTheFinalState() throws {
        let settings = ProgressSettings(phase: .fit, verbose: 1, epochs: 3, stepsPerEpoch: 4, samples: 128)
        let clock = Clock()
        let records = captureRecords {
            let reporter = LiveProgressReporter(settings: settings, clock: { clock.now })
            simulateFit(reporter: reporter, settings: settings, clock: clock, epochs: 3)
        }
        XCTAssertEqual(records.first?["msg_type"] as? String, "display_data")
        XCTAssertTrue(records.dropFirst().allSatisfy { $0["msg_type"] as? String == "update_display_data" })
        let ids = Set(records.compactMap { ($0["transient"] as? [String: Any])?["display_id"] as? String })
        XCTAssertEqual(ids.count, 1, "every update targets the same display")
        XCTAssertLessThanOrEqual(records.count, 1 + 3 * 4 * 20 / 100 + 2, "throttled: 240 ms of training → a handful of updates")
        let last = try XCTUnwrap((records.last?["data"] as? [String: Any])?["text/plain"] as? String)
        XCTAssertTrue(last.hasPrefix("Epoch 3/3 done [####################] 4/4"), last)
        XCTAssertTrue(last.contains("val_loss: 0.6667"), last)
        XCTAssertNotNil((records.last?["data"] as? [String: Any])?["text/html"])
    }

    func testAStoppedRunSaysSo() throws {
        let settings = ProgressSettings(phase: .fit, verbose: 1, epochs: 10, stepsPerEpoch: 4, samples: 128)
        let clock = Clock()
        let records = captureRecords {
            let reporter = LiveProgressReporter(settings: settings, clock: { clock.now })
            simulateFit(reporter: reporter, settings: settings, clock: clock, epochs: 2)
        }
        let last = try XCTUnwrap((records.last?["data"] as? [String: Any])?["text/plain"] as? String)
        XCTAssertTrue(last.hasPrefix("Stopped after epoch 2/10"), last)
    }

    func testWithoutANotebookOnlyTheFinalStateIsPrinted() {
        DisplayPipe.disconnect()
        let settings = ProgressSettings(phase: .fit, verbose: 1, epochs: 3, stepsPerEpoch: 4, samples: 128)
        let clock = Clock()
        let out = captureStdout {
            let reporter = LiveProgressReporter(settings: settings, clock: { clock.now })
            simulateFit(reporter: reporter, settings: settings, clock: clock, epochs: 3)
        }
        XCTAssertEqual(out.split(separator: "\n").count, 1, out)
        XCTAssertTrue(out.hasPrefix("Epoch 3/3 done"), out)
    }

    func testScatterFromAnEncodingTensor() throws {
        var plot = Plot()
        try plot.addScatter(points: try Tensor([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]), labels: ["a", "b", "c"])
        XCTAssertEqual(plot.series[0].y, [Double(Float(0.2)), Double(Float(-0.4)), Double(Float(0.6))])
        XCTAssertThrowsError(try plot.addScatter(points: try Tensor.zeros([3, 3]))) { error in
            XCTAssertTrue("\(error)".contains("expected a tensor of shape (n, 2), got (3, 3)"))
        }
    }

    func testRealFitUsesTheLiveDisplayWhenInstalled() throws {
        LSTMKit.clearSession()
        LSTMKit.setRandomSeed(1)
        let model = try Sequential([LSTM(units: 4, inputShape: [3, 1]), Dense(units: 1)])
        model.compile(loss: .mse)
        let x = try Tensor.ones([8, 3, 1]), y = try Tensor.ones([8, 1])
        useLiveTrainingProgress(.display)
        defer { useTextTrainingProgress() }
        let records = try captureRecords { _ = try model.fit(x, y, epochs: 2, batchSize: 4, verbose: 1) }
        XCTAssertGreaterThanOrEqual(records.count, 2)
        let last = try XCTUnwrap((records.last?["data"] as? [String: Any])?["text/plain"] as? String)
        XCTAssertTrue(last.hasPrefix("Epoch 2/2 done"), last)
        XCTAssertTrue(last.contains("loss: "), last)
    }
}
