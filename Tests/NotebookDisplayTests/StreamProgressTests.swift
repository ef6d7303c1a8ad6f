import Foundation
@testable import LSTMKit
@testable import NotebookDisplay
import XCTest

/// `fit(verbose: 1)` in the kernel writes one stdout line rewritten with `\r`; `verbose: 2` writes
/// Keras's line per epoch. The text is what a console prints and what a notebook keeps.
final class StreamProgressTests: XCTestCase {
    final class Clock: @unchecked Sendable { var now = 50.0 }

    /// A fit of `epochs` epochs with a batch every 20 ms of fake time; returns each write.
    private func simulatedWrites(epochs: Int, ofEpochs total: Int, steps: Int = 4, metrics: [String] = [],
                                 liveWidth: Int = 79) -> [String] {
        let settings = ProgressSettings(phase: .fit, verbose: 1, epochs: total, stepsPerEpoch: steps, samples: 64)
        let clock = Clock()
        var writes: [String] = []
        let reporter = StreamProgressReporter(settings: settings, liveWidth: liveWidth, clock: { clock.now },
                                              write: { writes.append($0) })
        for epoch in 0..<epochs {
            reporter.epochBegan(epoch, settings: settings)
            var logs = TrainingLogs()
            for step in 1...steps {
                clock.now += 0.02
                logs.set("loss", 1 / Float(epoch * steps + step))
                for name in metrics { logs.set(name, 0.5) }
                reporter.batchEnded(step: step, logs: logs, settings: settings)
            }
            logs.set("val_loss", 2 / Float(epoch + 1))
            reporter.epochEnded(epoch, logs: logs, seconds: 0.08, settings: settings)
        }
        reporter.finished(settings: settings)
        return writes
    }

    /// The epoch number `Epoch k/n` at the start of a rewritten line.
    private func epochNumber(_ line: Substring) -> Int? {
        guard line.hasPrefix("Epoch "), let slash = line.firstIndex(of: "/") else { return nil }
        return Int(line[line.index(line.startIndex, offsetBy: 6)..<slash])
    }

    func testOneLineRewrittenWithCarriageReturnsAdvancesAndEndsInTheFinalState() throws {
        let text = simulatedWrites(epochs: 10, ofEpochs: 10).joined()
        XCTAssertEqual(text.filter { $0 == "\n" }.count, 1, "one line for the whole fit")
        XCTAssertTrue(text.hasSuffix("\n"))
        let states = text.dropLast().split(separator: "\r", omittingEmptySubsequences: false)
        // 800 ms of fake training at most one rewrite per 200 ms: the start, a few updates, the end.
        XCTAssertGreaterThanOrEqual(states.count, 4, text)
        XCTAssertLessThanOrEqual(states.count, 800 / 200 + 1, text)
        XCTAssertTrue(states[0].hasPrefix("Epoch 3/10 [##"), "the first state after 200 ms: \(states[0])")
        let epochs = states.compactMap(epochNumber)
        XCTAssertEqual(epochs.count, states.count)
        XCTAssertEqual(epochs, epochs.sorted(), "the epoch only goes forward")
        XCTAssertGreaterThan(Set(epochs).count, 2, "the line advances during training, not just at the end")
        let final = try XCTUnwrap(states.last)
        XCTAssertNotNil(final.range(of: #"^Epoch 10/10 done \[#{20}\] 4/4 - \d+\.\ds elapsed - loss: "#,
                                    options: .regularExpression), String(final))
        XCTAssertTrue(final.contains("val_loss: 0.2000"), String(final))
    }

    func testAFitQuickerThanOneIntervalWritesOnlyItsFinalLine() {
        let writes = simulatedWrites(epochs: 2, ofEpochs: 2)   // 160 ms
        XCTAssertEqual(writes.count, 1, "\(writes)")
        XCTAssertNotNil(writes[0].range(of: #"^Epoch 2/2 done \[#{20}\] 4/4 - \d+\.\ds elapsed - loss: "#,
                                        options: .regularExpression), writes[0])
        XCTAssertFalse(writes[0].contains("\r"))
    }

    func testEachRewriteCoversTheLongestEarlierLine() {
        let writes = simulatedWrites(epochs: 3, ofEpochs: 3)
        var widest = 0
        for (index, write) in writes.enumerated() {
            let line = write.hasPrefix("\r") ? write.dropFirst() : Substring(write)
            XCTAssertEqual(write.hasPrefix("\r"), index > 0, "every write but the first returns to the line start")
            XCTAssertGreaterThanOrEqual(line.trimmingCharacters(in: .newlines).count, widest, write)
            widest = max(widest, line.trimmingCharacters(in: .whitespacesAndNewlines).count)
        }
        XCTAssertEqual(StreamProgressReporter.rewrite("ab", over: 5, started: true), "\rab   ")
        XCTAssertEqual(StreamProgressReporter.rewrite("abc", over: 2, started: false), "abc")
    }

    func testLiveStatesFitATerminalLineAndTheFinalOneIsWhole() throws {
        let writes = simulatedWrites(epochs: 4, ofEpochs: 4, metrics: ["mae", "mape", "accuracy"])
        for write in writes.dropLast() {
            XCTAssertLessThanOrEqual(write.trimmingCharacters(in: .whitespaces).count, 1 + 79, "wraps would defeat \\r")
        }
        XCTAssertTrue(writes.dropLast().contains { $0.trimmingCharacters(in: .whitespaces).hasSuffix("…") }, "\(writes)")
        XCTAssertTrue(writes.dropLast().allSatisfy { $0.contains("s elapsed, ETA ") }, "a cut line keeps its ETA: \(writes)")
        let final = try XCTUnwrap(writes.last)
        XCTAssertTrue(final.contains("accuracy: 0.5000") && final.contains("val_loss: 0.5000"), final)
        XCTAssertGreaterThan(final.count, 80)
    }

    func testTheKernelReporterPicksStreamTextForVerbose1AndKerasLinesForVerbose2() {
        useLiveTrainingProgress()
        defer { useTextTrainingProgress() }
        func reporter(_ phase: ProgressPhase, _ verbose: Int) -> ProgressReporter? {
            TrainingProgress.reporterFactory(ProgressSettings(phase: phase, verbose: verbose, epochs: 2,
                                                              stepsPerEpoch: 1, samples: 4))
        }
        XCTAssertTrue(reporter(.fit, 1) is StreamProgressReporter)
        XCTAssertTrue(reporter(.fit, 2) is TextProgressReporter)
        XCTAssertTrue(reporter(.evaluate, 1) is TextProgressReporter)
        useLiveTrainingProgress(.display)
        XCTAssertTrue(reporter(.fit, 1) is LiveProgressReporter)
        XCTAssertTrue(reporter(.fit, 2) is TextProgressReporter)
    }

    private func trainedOutput(verbose: Int) throws -> (stdout: String, records: [[String: Any]]) {
        LSTMKit.clearSession()
        LSTMKit.setRandomSeed(2)
        let model = try Sequential([LSTM(units: 3, inputShape: [3, 1]), Dense(units: 1)])
        model.compile(loss: .mse)
        let x = try Tensor.ones([8, 3, 1]), y = try Tensor.ones([8, 1])
        useLiveTrainingProgress()
        defer { useTextTrainingProgress() }
        var stdout = ""
        let records = try captureRecords {
            stdout = try captureStdout {
                _ = try model.fit(x, y, epochs: 3, batchSize: 8, verbose: verbose, validationSplit: 0.25)
            }
        }
        return (stdout, records)
    }

    func testRealFitVerbose1WritesTheProgressLine() throws {
        let (stdout, records) = try trainedOutput(verbose: 1)
        XCTAssertTrue(records.isEmpty, "no display to update")
        XCTAssertTrue(stdout.hasPrefix("Epoch ") || stdout.hasPrefix("\rEpoch "), stdout)
        let final = try XCTUnwrap(stdout.split(separator: "\r").last)
        XCTAssertNotNil(final.range(of: #"^Epoch 3/3 done \[#{20}\] 1/1 - \d+\.\ds elapsed - loss: "#,
                                    options: .regularExpression), stdout)
        XCTAssertTrue(final.contains(" - val_loss: "), stdout)
        XCTAssertEqual(stdout.filter { $0 == "\n" }.count, 1, stdout)
        XCTAssertTrue(stdout.hasSuffix("\n"), stdout)
    }

    func testRealFitVerbose2WritesKerasOneLinePerEpoch() throws {
        let (stdout, records) = try trainedOutput(verbose: 2)
        XCTAssertTrue(records.isEmpty)
        XCTAssertFalse(stdout.contains("\r"), stdout)
        let lines = stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 6, stdout)
        for epoch in 1...3 {
            XCTAssertEqual(lines[2 * epoch - 2], "Epoch \(epoch)/3")
            let pattern = #"^1/1 - \d+s - \d+(us|ms|s)/step - loss: \d\.\d{4} - val_loss: \d\.\d{4}$"#
            XCTAssertNotNil(lines[2 * epoch - 1].range(of: pattern, options: .regularExpression), lines[2 * epoch - 1])
        }
    }
}
