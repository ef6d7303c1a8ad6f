import Foundation
import LSTMKit

/// `fit(verbose: 1)` in the kernel: one line of stdout text for the whole run, rewritten in place with
/// carriage returns (`\r`) as training advances, and ended with a line break in its final state
/// (`TrainingProgressView.timingFirstText`: `Epoch 12/300 [######--------------] 4/4 - 3.2s elapsed,
/// ETA 1:12 - loss: 0.0123 - val_loss: 0.0456`).
///
/// Every front end honours `\r` in stream text: a terminal (`jupyter console`) moves back to the start
/// of the line; JupyterLab and the classic notebook overwrite the line's characters as a terminal does,
/// and keep only the result in the output they save; nbconvert's stream merging and Jupyter's own
/// tools keep the last state. A display updated in place (`update_display_data`, `LiveProgressReporter`)
/// would look the same in JupyterLab but stands still in front ends that ignore updates, the console
/// among them.
///
/// Each rewrite is padded with spaces to the longest line written before (a `\r` overwrites, it does
/// not erase) and cut to `liveWidth` characters: a line wider than the terminal wraps, and `\r` returns
/// only to the start of the last row. The final line is written whole. Updates come at most every
/// `minimumInterval` seconds, the first one interval after the start (epoch ends included: hundreds of
/// tiny epochs must not flood the front end).
public final class StreamProgressReporter: ProgressReporter {
    private var view: TrainingProgressView
    private var throttle: UpdateThrottle
    private let clock: () -> Double
    private let start: Double
    private let write: (String) -> Void
    private let liveWidth: Int
    private var widest = 0
    private var started = false

    /// A reporter for one loop run writing to `write` (stdout, flushed, by default); `clock` (seconds)
    /// is injectable for tests.
    public init(settings: ProgressSettings, minimumInterval: Double = 0.2, liveWidth: Int = 79,
                clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime },
                write: @escaping (String) -> Void = { text in
                    print(text, terminator: "")
                    fflush(stdout)
                }) {
        self.clock = clock
        self.write = write
        self.liveWidth = liveWidth
        start = clock()
        throttle = UpdateThrottle(minimumInterval: minimumInterval)
        // The first state shows after one interval: a fit quicker than that writes only its final line,
        // which reads well even where `\r` is not honoured (a plain nbconvert of the raw stream).
        _ = throttle.shouldSend(now: start)
        view = TrainingProgressView(settings: settings)
    }

    /// The current state (what the next rewrite shows).
    public var currentView: TrainingProgressView { view }

    public func epochBegan(_ epoch: Int, settings: ProgressSettings) {
        view.beginEpoch(epoch)
        publish(force: false)
    }

    public func batchEnded(step: Int, logs: TrainingLogs, settings: ProgressSettings) {
        view.endBatch(step: step, logs: logs)
        publish(force: false)
    }

    public func epochEnded(_ epoch: Int, logs: TrainingLogs, seconds: Double, settings: ProgressSettings) {
        view.endEpoch(epoch, logs: logs, stepsPerEpoch: settings.stepsPerEpoch)
        publish(force: false)
    }

    /// Writes the final state in full and ends the line (also after an error or an interrupt).
    public func finished(settings: ProgressSettings) {
        view.finished = true
        view.elapsed = clock() - start
        write(Self.rewrite(view.timingFirstText, over: widest, started: started) + "\n")
        widest = 0
        started = false
    }

    private func publish(force: Bool) {
        let now = clock()
        view.elapsed = now - start
        guard throttle.shouldSend(now: now, force: force) else { return }
        var line = view.timingFirstText
        if line.count > liveWidth { line = String(line.prefix(max(1, liveWidth - 1))) + "…" }
        write(Self.rewrite(line, over: widest, started: started))
        widest = max(widest, line.count)
        started = true
    }

    /// `line` as a rewrite of the current line: a carriage return first (unless nothing was written
    /// yet), and spaces after it up to `width`, so nothing of a longer earlier line shows through.
    static func rewrite(_ line: String, over width: Int, started: Bool) -> String {
        (started ? "\r" : "") + line + String(repeating: " ", count: max(0, width - line.count))
    }
}
