import Foundation

/// Which loop is reporting progress.
public enum ProgressPhase: String, Sendable {
    /// `fit` (one report per epoch, each with an "Epoch i/n" header).
    case fit
    /// `evaluate` (one pass over the data).
    case evaluate
    /// `predict` (one pass, no logs).
    case predict
}

/// What a progress reporter is told when a loop starts.
public struct ProgressSettings: Sendable {
    /// The loop.
    public var phase: ProgressPhase
    /// The `verbose` argument (1 or 2; reporters are not created for 0).
    public var verbose: Int
    /// Epochs requested (1 for evaluate and predict).
    public var epochs: Int
    /// Batches per epoch.
    public var stepsPerEpoch: Int
    /// Samples per epoch.
    public var samples: Int
}

/// Receives progress from `fit`, `evaluate` and `predict`. All calls come from the thread running the loop.
///
/// `epoch` is 0-based; `step` is 1-based (the number of batches done). `logs` are the running means of
/// the epoch so far (at `epochEnded`, the epoch's values including `val_` entries).
public protocol ProgressReporter: AnyObject {
    /// An epoch starts (fit) or the single pass starts (evaluate, predict).
    func epochBegan(_ epoch: Int, settings: ProgressSettings)
    /// A batch finished.
    func batchEnded(step: Int, logs: TrainingLogs, settings: ProgressSettings)
    /// An epoch (or the pass) finished after `seconds`.
    func epochEnded(_ epoch: Int, logs: TrainingLogs, seconds: Double, settings: ProgressSettings)
    /// The loop ended, normally or by an error (interrupt, NaN loss).
    func finished(settings: ProgressSettings)
}

/// The hook that chooses how progress is shown. NotebookDisplay replaces `reporterFactory` with a live
/// notebook display; the default prints Keras-style text lines to stdout.
public enum TrainingProgress {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var factory: (ProgressSettings) -> ProgressReporter? = { TextProgressReporter(settings: $0) }

    /// Makes the reporter for each loop run with verbose 1 or 2 (return nil to show nothing).
    /// Set it from any thread; a running loop keeps the reporter it started with.
    public static var reporterFactory: (ProgressSettings) -> ProgressReporter? {
        get { lock.lock(); defer { lock.unlock() }; return factory }
        set { lock.lock(); factory = newValue; lock.unlock() }
    }

    /// Restores the default text reporter.
    public static func resetToDefault() { reporterFactory = { TextProgressReporter(settings: $0) } }

    /// The reporter for a loop run, or nil for verbose 0.
    static func reporter(_ settings: ProgressSettings) -> ProgressReporter? {
        settings.verbose > 0 ? reporterFactory(settings) : nil
    }
}

/// The default reporter: Keras's lines, printed once per epoch (no carriage-return animation).
///
/// verbose 1: `Epoch 1/3` then `4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.3616 - val_loss: 0.2597`;
/// verbose 2: `Epoch 1/3` then `4/4 - 0s - 2ms/step - loss: 0.3616 - val_loss: 0.2597`.
public final class TextProgressReporter: ProgressReporter {
    private let write: (String) -> Void

    /// A reporter printing to stdout (flushed after each line, so notebooks see it live).
    public convenience init(settings: ProgressSettings) {
        self.init { line in
            print(line)
            fflush(stdout)
        }
    }

    /// A reporter handing each line to `write` (used by tests and by other displays).
    public init(write: @escaping (String) -> Void) { self.write = write }

    public func epochBegan(_ epoch: Int, settings: ProgressSettings) {
        if settings.phase == .fit { write("Epoch \(epoch + 1)/\(settings.epochs)") }
    }

    public func batchEnded(step: Int, logs: TrainingLogs, settings: ProgressSettings) {}

    public func epochEnded(_ epoch: Int, logs: TrainingLogs, seconds: Double, settings: ProgressSettings) {
        write(TextProgressReporter.line(steps: settings.stepsPerEpoch, logs: logs, seconds: seconds, verbose: settings.verbose))
    }

    public func finished(settings: ProgressSettings) {}

    /// One finished-epoch line in Keras's format for `verbose` 1 or 2.
    public static func line(steps: Int, logs: TrainingLogs, seconds: Double, verbose: Int) -> String {
        let perStep = formatStepTime(seconds / Double(Swift.max(steps, 1)))
        let elapsed = String(format: "%.0fs", seconds)
        let values = logs.entries.isEmpty ? "" : " - \(logs)"
        if verbose == 2 { return "\(steps)/\(steps) - \(elapsed) - \(perStep)\(values)" }
        return "\(steps)/\(steps) \(String(repeating: "━", count: 20)) \(elapsed) \(perStep)\(values)"
    }

    /// `2s/step`, `12ms/step` or `846us/step`, as Keras prints the time per batch.
    public static func formatStepTime(_ seconds: Double) -> String {
        if seconds >= 1 { return String(format: "%.0fs/step", seconds) }
        if seconds >= 1e-3 { return String(format: "%.0fms/step", seconds * 1e3) }
        return String(format: "%.0fus/step", seconds * 1e6)
    }
}
