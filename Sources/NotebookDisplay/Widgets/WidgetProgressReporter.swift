import Foundation
import LSTMKit

/// `fit`'s progress as widgets (`useLiveTrainingProgress(.widgets)`, or `.automatic` in a frontend that
/// renders widgets): a FloatProgress bar, a Label with the epoch (`Epoch k/N`), the batch, the running
/// values, elapsed time and ETA, and an Output widget holding the loss plot (loss and val_loss over epochs), redrawn after
/// epochs. Bar and label change at most 10 times a second, the plot at most twice; the final state is
/// always sent, so a saved notebook's widget state shows the finished run.
public final class WidgetProgressReporter: ProgressReporter {
    private var view: TrainingProgressView
    private var widgets: (bar: FloatProgress, label: Label, plot: Output)?
    private var barThrottle: UpdateThrottle
    private var plotThrottle: UpdateThrottle
    private var losses: [String: [Double]] = [:]
    private var plottedEpochs = 0
    private let clock: () -> Double
    private let start: Double

    /// A reporter for one loop run; `clock` (seconds) is injectable for tests.
    public init(settings: ProgressSettings, clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.clock = clock
        start = clock()
        barThrottle = UpdateThrottle(minimumInterval: 0.1)
        plotThrottle = UpdateThrottle(minimumInterval: 0.5)
        view = TrainingProgressView(settings: settings)
    }

    /// The state shown.
    public var currentView: TrainingProgressView { view }

    /// The first epoch creates and displays the widgets.
    public func epochBegan(_ epoch: Int, settings: ProgressSettings) {
        view.beginEpoch(epoch)
        if widgets == nil {
            let bar = FloatProgress(0, in: 0...1)
            let label = Label("")
            let plot = Output()
            widgets = (bar, label, plot)
            display(VBox([HBox([bar, label]), plot]))
        }
        publish(force: epoch == 0)
    }

    public func batchEnded(step: Int, logs: TrainingLogs, settings: ProgressSettings) {
        view.endBatch(step: step, logs: logs)
        publish(force: false)
    }

    public func epochEnded(_ epoch: Int, logs: TrainingLogs, seconds: Double, settings: ProgressSettings) {
        view.endEpoch(epoch, logs: logs, stepsPerEpoch: settings.stepsPerEpoch)
        for entry in logs.entries where entry.name.hasSuffix("loss") {
            losses[entry.name, default: []].append(Double(entry.value))
        }
        publish(force: false)
    }

    /// The final state: a full (green) bar, or an orange one when training stopped early.
    public func finished(settings: ProgressSettings) {
        view.finished = true
        publish(force: true)
    }

    private func publish(force: Bool) {
        let now = clock()
        view.elapsed = now - start
        guard let widgets else { return }
        if barThrottle.shouldSend(now: now, force: force || view.finished) {
            widgets.bar.set(["value": .number(view.fraction),
                             "bar_style": .string(view.finished ? (view.completedEpochs < view.epochs ? "warning" : "success") : "")])
            widgets.label.value = labelText
        }
        if view.completedEpochs > plottedEpochs, plotThrottle.shouldSend(now: now, force: view.finished) {
            plottedEpochs = view.completedEpochs
            widgets.plot.clear()
            widgets.plot.capture { display(lossPlot) }
        }
    }

    /// `Epoch 12/300 4/4 - loss: 0.0123 - val_loss: 0.0456 - 3.2s elapsed, ETA 1:12`: the stream line
    /// without its text bar.
    private var labelText: String {
        let text = view.text
        guard let open = text.firstIndex(of: "["), let close = text.firstIndex(of: "]"), open < close else { return text }
        return text[..<open] + text[text.index(after: close)...].trimmingCharacters(in: .whitespaces)
    }

    /// Loss (and val_loss) over the finished epochs.
    private var lossPlot: Plot {
        var plot = Plot(title: "Training loss", xLabel: "epoch", yLabel: "loss")
        plot.width = 480
        plot.height = 240
        for (index, key) in losses.keys.sorted().enumerated() {
            let values = losses[key] ?? []
            let colour = Plot.palette[(key.hasPrefix("val_") ? index - 1 : index).clamped(to: 0...(Plot.palette.count - 1))]
            try? plot.addLine(x: (1...max(values.count, 1)).prefix(values.count).map(Double.init), y: values, name: key,
                              dashed: key.hasPrefix("val_"), marker: values.count <= 30 ? .circle : .none, color: colour)
        }
        return plot
    }
}

private extension Int {
    func clamped(to range: ClosedRange<Int>) -> Int { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}

extension Widget {
    /// Whether the frontend is known to render widgets: the kernel saw its widget manager (JupyterLab with
    /// `jupyterlab_widgets`). False in `jupyter console`, nbclient and papermill. `fit` reports to widgets
    /// when this is true and the progress style is `.automatic`.
    public static var frontendHasWidgets: Bool { frontendWidgets.withLock { $0 } }

    static let frontendWidgets = LockedState(false)
}

/// The worker's switch, called when the kernel learns that the frontend renders widgets.
@_cdecl("notebook_display_frontend_widgets")
public func notebook_display_frontend_widgets(_ on: Int32) {
    Widget.frontendWidgets.withLock { $0 = on != 0 }
}
