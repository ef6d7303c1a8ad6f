import Foundation
import LSTMKit

/// The state of a running `fit` as one display shows it: epoch k/N, a bar, the latest loss and
/// val_loss, elapsed time and ETA. `LiveProgressReporter` updates it in place.
public struct TrainingProgressView: NotebookDisplayable, Sendable, Equatable {
    /// 0-based epoch in progress (or last finished).
    public var epoch: Int
    /// Epochs requested.
    public var epochs: Int
    /// Batches done in the current epoch.
    public var step: Int
    /// Batches per epoch.
    public var stepsPerEpoch: Int
    /// Running values of the current epoch (loss and metrics).
    public var logs: TrainingLogs
    /// The last finished epoch's values, including `val_` entries.
    public var lastEpochLogs: TrainingLogs?
    /// Seconds since training started.
    public var elapsed: Double
    /// Whether training has ended (normally, by early stopping or by an error).
    public var finished: Bool
    /// Epochs fully completed.
    public var completedEpochs: Int

    /// Fraction of all batches of all epochs done, 0...1.
    public var fraction: Double {
        guard epochs > 0 else { return 1 }
        if finished && completedEpochs == epochs { return 1 }
        let inEpoch = stepsPerEpoch > 0 ? Double(step) / Double(stepsPerEpoch) : 0
        return min(1, (Double(completedEpochs) + (completedEpochs > epoch ? 0 : inEpoch)) / Double(epochs))
    }

    /// Remaining seconds estimated from the pace so far; nil until some progress exists or when done.
    public var eta: Double? {
        guard !finished, fraction > 0, fraction < 1 else { return nil }
        return elapsed / fraction * (1 - fraction)
    }

    /// The values shown: the last epoch's (with val_loss) once one finished, else the running ones.
    private var shownLogs: TrainingLogs {
        guard let last = lastEpochLogs else { return logs }
        return completedEpochs > epoch || finished ? last : mergedRunning(last)
    }

    /// Running values of this epoch, with the previous epoch's validation values kept for reference.
    private func mergedRunning(_ last: TrainingLogs) -> TrainingLogs {
        var merged = logs
        for entry in last.entries where entry.name.hasPrefix("val_") { merged.set(entry.name, entry.value) }
        return merged
    }

    private var headline: String {
        if finished {
            let stoppedEarly = completedEpochs < epochs
            return stoppedEarly ? "Stopped after epoch \(completedEpochs)/\(epochs)" : "Epoch \(epochs)/\(epochs) done"
        }
        return "Epoch \(min(epoch + 1, epochs))/\(epochs)"
    }

    private var timing: String {
        var s = "\(formatDuration(elapsed)) elapsed"
        if let eta { s += ", ETA \(formatDuration(eta))" }
        return s
    }

    /// One line: `Epoch 12/300 [######--------------] 4/4 - loss: 0.0123 - val_loss: 0.0456 - 3.2s elapsed, ETA 1:12`.
    public var text: String {
        var line = "\(headline) \(bar) \(step)/\(stepsPerEpoch)"
        if !shownLogs.entries.isEmpty { line += " - \(shownLogs)" }
        return line + " - " + timing
    }

    /// The same line with the timing before the values (`Epoch 12/300 [######--------------] 4/4 - 3.2s
    /// elapsed, ETA 1:12 - loss: 0.0123 - val_loss: 0.0456`), as Keras puts its times first: where a
    /// line is cut to a terminal's width, the values go first and the ETA stays.
    public var timingFirstText: String {
        var line = "\(headline) \(bar) \(step)/\(stepsPerEpoch) - \(timing)"
        if !shownLogs.entries.isEmpty { line += " - \(shownLogs)" }
        return line
    }

    private var bar: String {
        let width = 20
        let filled = Int((fraction * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    /// A bar and the values as HTML (inline styles; where styles are stripped the text still reads).
    public var html: String {
        let percent = String(format: "%.1f", fraction * 100)
        let colour = finished ? (completedEpochs < epochs ? "#E69F00" : "#009E73") : "#0072B2"
        var h = "<div class=\"lstmkit-progress\" style=\"font-family:monospace;line-height:1.6\">"
        h += "<b>\(xmlEscape(headline))</b> &nbsp;"
        h += "<span style=\"display:inline-block;width:240px;height:10px;background:#e6e6e6;border-radius:5px;vertical-align:middle\">"
        h += "<span style=\"display:block;width:\(percent)%;height:10px;background:\(colour);border-radius:5px\"></span></span>"
        h += " \(percent)% &nbsp; step \(step)/\(stepsPerEpoch)<br>"
        if !shownLogs.entries.isEmpty {
            h += shownLogs.entries.map { "\(xmlEscape($0.name)): <b>\(TrainingLogs.format($0.value))</b>" }.joined(separator: " &nbsp; ") + "<br>"
        }
        h += "<span style=\"color:#666\">\(xmlEscape(timing))</span></div>"
        return h
    }

    /// text/plain and text/html.
    public var mimeBundle: MIMEBundle { MIMEBundle(plainText: text, html: html) }
}

/// Limits display updates to one per `minimumInterval` seconds; the caller forces the final state.
public struct UpdateThrottle: Sendable {
    /// Seconds between updates (0.1 = at most 10 updates a second).
    public let minimumInterval: Double
    private var lastSent: Double?

    /// A throttle allowing one update per `minimumInterval` seconds.
    public init(minimumInterval: Double = 0.1) { self.minimumInterval = minimumInterval }

    /// Whether to send an update at time `now` (seconds); `force` always sends (final state, epoch ends).
    public mutating func shouldSend(now: Double, force: Bool = false) -> Bool {
        if force || lastSent == nil || now - lastSent! >= minimumInterval {
            lastSent = now
            return true
        }
        return false
    }
}

/// LSTMKit's progress hook as a live notebook display (`useLiveTrainingProgress(.display)`): one display per `fit`, updated in place
/// (update_display_data) at most 10 times a second (epoch ends included: hundreds of tiny epochs must
/// not flood the front end), and always with the final state, so a headless run saves it. `evaluate` and `predict` keep LSTMKit's text lines.
public final class LiveProgressReporter: ProgressReporter {
    private var view: TrainingProgressView
    private var handle: DisplayHandle?
    private var throttle: UpdateThrottle
    private let clock: () -> Double
    private let start: Double

    /// A reporter for one loop run; `clock` (seconds) is injectable for tests.
    public init(settings: ProgressSettings, minimumInterval: Double = 0.1,
                clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.clock = clock
        start = clock()
        throttle = UpdateThrottle(minimumInterval: minimumInterval)
        view = TrainingProgressView(settings: settings)
    }

    /// The current state (what the display shows after the next update).
    public var currentView: TrainingProgressView { view }

    /// Starts an epoch; the first one creates the display. Called on the training thread.
    public func epochBegan(_ epoch: Int, settings: ProgressSettings) {
        view.beginEpoch(epoch)
        publish(force: handle == nil)
    }

    /// Records a finished batch; the display updates if the throttle allows.
    public func batchEnded(step: Int, logs: TrainingLogs, settings: ProgressSettings) {
        view.endBatch(step: step, logs: logs)
        publish(force: false)
    }

    /// Records a finished epoch with its validation values.
    public func epochEnded(_ epoch: Int, logs: TrainingLogs, seconds: Double, settings: ProgressSettings) {
        view.endEpoch(epoch, logs: logs, stepsPerEpoch: settings.stepsPerEpoch)
        publish(force: false)
    }

    /// Shows the final state (always sent, so a saved notebook keeps it).
    public func finished(settings: ProgressSettings) {
        view.finished = true
        publish(force: true)
    }

    private func publish(force: Bool) {
        let now = clock()
        view.elapsed = now - start
        // Without a notebook every update would print a new line: show only the final state.
        guard DisplayPipe.isConnected || view.finished else { return }
        guard throttle.shouldSend(now: now, force: force) else { return }
        if let handle {
            handle.update(view)
        } else {
            handle = display(view)
        }
    }
}

/// How `fit(verbose: 1)` shows its progress in the kernel.
public enum LiveProgressStyle: Sendable {
    /// One stdout line rewritten with `\r` (`StreamProgressReporter`): advances in JupyterLab, the
    /// console and every other front end, and saves as its final line. The default.
    case stream
    /// One rich display updated in place (`LiveProgressReporter`): an HTML bar in front ends that honour
    /// `update_display_data` (JupyterLab, the notebook); it stands still in `jupyter console`.
    case display
    /// A FloatProgress bar, a label with the values and a live loss plot (`WidgetProgressReporter`), for
    /// front ends with a widget manager (JupyterLab with `jupyterlab_widgets`).
    case widgets
    /// `.widgets` when the kernel knows the front end renders widgets (`Widget.frontendHasWidgets`),
    /// else `.stream`; decided at the start of each `fit`. What the kernel installs.
    case automatic
}

/// Makes `fit` show live progress for `verbose: 1` (the kernel installs `.automatic` through
/// `notebook_display_install`: widgets where the front end renders them, else the `\r` stream line). `verbose: 2` keeps Keras's one line per epoch, as do `evaluate` and
/// `predict` their text lines.
public func useLiveTrainingProgress(_ style: LiveProgressStyle = .automatic) {
    TrainingProgress.reporterFactory = { settings in
        guard settings.phase == .fit, settings.verbose == 1 else { return TextProgressReporter(settings: settings) }
        switch style {
        case .stream: return StreamProgressReporter(settings: settings)
        case .display: return LiveProgressReporter(settings: settings)
        case .widgets: return WidgetProgressReporter(settings: settings)
        case .automatic:
            return Widget.frontendHasWidgets ? WidgetProgressReporter(settings: settings) : StreamProgressReporter(settings: settings)
        }
    }
}

/// Goes back to LSTMKit's Keras-style text lines.
public func useTextTrainingProgress() { TrainingProgress.resetToDefault() }

/// Installed by `notebook_display_install` when a display pipe is connected.
func installLiveTrainingProgress() { useLiveTrainingProgress() }

/// `3.2s`, `1:12`, `1:02:03`.
func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    let total = Int(seconds.rounded())
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60)
    return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
}

/// The state changes both progress reporters (the live display and the stream line) make as `fit` runs.
extension TrainingProgressView {
    /// The state before the first batch of a run of `settings.epochs` epochs.
    public init(settings: ProgressSettings) {
        self.init(epoch: 0, epochs: settings.epochs, step: 0, stepsPerEpoch: settings.stepsPerEpoch,
                  logs: TrainingLogs(), lastEpochLogs: nil, elapsed: 0, finished: false, completedEpochs: 0)
    }

    /// An epoch starts: no batch done, no running values yet.
    public mutating func beginEpoch(_ epoch: Int) {
        self.epoch = epoch
        step = 0
        logs = TrainingLogs()
    }

    /// A batch of the current epoch finished with these running values.
    public mutating func endBatch(step: Int, logs: TrainingLogs) {
        self.step = step
        self.logs = logs
    }

    /// An epoch of `stepsPerEpoch` batches finished with its values (validation included).
    public mutating func endEpoch(_ epoch: Int, logs: TrainingLogs, stepsPerEpoch: Int) {
        self.epoch = epoch
        step = stepsPerEpoch
        lastEpochLogs = logs
        self.logs = logs
        completedEpochs = epoch + 1
    }
}
