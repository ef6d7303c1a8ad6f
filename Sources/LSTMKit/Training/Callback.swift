/// The state a callback sees during `fit`: the model, and a switch to stop after the current epoch.
public final class TrainingContext {
    /// The model being trained.
    public let model: Model
    /// Number of epochs `fit` was asked for.
    public let epochs: Int
    /// Set to true to stop training after the current epoch (Keras's `model.stop_training`).
    public var stopTraining = false
    /// The history so far.
    public internal(set) var history = History()

    init(model: Model, epochs: Int) {
        self.model = model
        self.epochs = epochs
    }
}

/// Base class of `fit` callbacks (Keras's `keras.callbacks.Callback`). Override what you need;
/// `epoch` is 0-based, as in Keras. A hook may throw to abort training with that error.
open class Callback {
    /// A callback that does nothing until overridden.
    public init() {}
    /// Called once before the first epoch.
    open func onTrainBegin(_ context: TrainingContext) throws {}
    /// Called at the start of each epoch.
    open func onEpochBegin(_ epoch: Int, context: TrainingContext) throws {}
    /// Called after each training batch with the running means of the epoch so far.
    open func onBatchEnd(_ batch: Int, logs: TrainingLogs, context: TrainingContext) throws {}
    /// Called after each epoch (after validation) with the epoch's logs.
    open func onEpochEnd(_ epoch: Int, logs: TrainingLogs, context: TrainingContext) throws {}
    /// Called once after the last epoch (also after an early stop).
    open func onTrainEnd(_ context: TrainingContext) throws {}
}

/// A callback made of closures (Keras's `LambdaCallback`), e.g.
/// `LambdaCallback(onEpochEnd: { epoch, logs in print(epoch, logs.loss) })`.
public final class LambdaCallback: Callback {
    private let epochBegin: ((Int) throws -> Void)?
    private let epochEnd: ((Int, TrainingLogs) throws -> Void)?
    private let batchEnd: ((Int, TrainingLogs) throws -> Void)?
    private let trainEnd: ((History) throws -> Void)?

    /// A callback calling the given closures (each optional).
    public init(onEpochBegin: ((Int) throws -> Void)? = nil, onEpochEnd: ((Int, TrainingLogs) throws -> Void)? = nil,
                onBatchEnd: ((Int, TrainingLogs) throws -> Void)? = nil, onTrainEnd: ((History) throws -> Void)? = nil) {
        epochBegin = onEpochBegin
        epochEnd = onEpochEnd
        batchEnd = onBatchEnd
        trainEnd = onTrainEnd
    }

    public override func onEpochBegin(_ epoch: Int, context: TrainingContext) throws { try epochBegin?(epoch) }
    public override func onEpochEnd(_ epoch: Int, logs: TrainingLogs, context: TrainingContext) throws { try epochEnd?(epoch, logs) }
    public override func onBatchEnd(_ batch: Int, logs: TrainingLogs, context: TrainingContext) throws { try batchEnd?(batch, logs) }
    public override func onTrainEnd(_ context: TrainingContext) throws { try trainEnd?(context.history) }
}

/// Stops training when a monitored value stops improving, as Keras 3's `EarlyStopping` does.
///
/// An epoch improves when `value − minDelta < best` (mode min; `> best` with `+` for mode max).
/// After `patience` epochs without improvement (and never at the first epoch) training stops. With
/// `restoreBestWeights`, the weights of the best epoch are put back when training ends.
public final class EarlyStopping: Callback {
    /// Whether smaller or larger values are better.
    public enum Mode: String, Sendable {
        /// Max for names containing "acc", min otherwise (Keras's "auto").
        case auto, min, max
    }

    /// The logged value to watch, e.g. `val_loss`.
    public let monitor: String
    /// Epochs without improvement to tolerate.
    public let patience: Int
    /// Smallest change that counts as an improvement (absolute value is used).
    public let minDelta: Float
    /// Whether to restore the best epoch's weights at the end.
    public let restoreBestWeights: Bool
    /// Direction of improvement.
    public let mode: Mode
    /// The 0-based epoch at which training was stopped, or nil if it ran to the end.
    public private(set) var stoppedEpoch: Int?
    /// The 0-based epoch with the best monitored value.
    public private(set) var bestEpoch = 0
    /// The best monitored value seen.
    public private(set) var best: Float?
    private var wait = 0
    private var bestWeights: [Tensor]?

    /// Keras's defaults: monitor `val_loss`, patience 0, minDelta 0, no restore, mode auto.
    public init(monitor: String = "val_loss", patience: Int = 0, restoreBestWeights: Bool = false,
                minDelta: Float = 0, mode: Mode = .auto) {
        self.monitor = monitor
        self.patience = patience
        self.minDelta = Swift.abs(minDelta)
        self.restoreBestWeights = restoreBestWeights
        self.mode = mode
    }

    private var maximise: Bool {
        switch mode {
        case .min: return false
        case .max: return true
        case .auto: return monitor.contains("acc")
        }
    }

    private func isImprovement(_ value: Float, over reference: Float?) -> Bool {
        guard let reference else { return true }
        return maximise ? value + minDelta > reference : value - minDelta < reference
    }

    public override func onTrainBegin(_ context: TrainingContext) throws {
        wait = 0
        stoppedEpoch = nil
        best = nil
        bestWeights = nil
        bestEpoch = 0
    }

    public override func onEpochEnd(_ epoch: Int, logs: TrainingLogs, context: TrainingContext) throws {
        guard let current = logs[monitor] else {
            throw LSTMKitError.invalidArgument(
                "EarlyStopping monitors '\(monitor)', which fit does not report; available: \(logs.names.joined(separator: ", "))\(monitor.hasPrefix("val_") ? " (val_ values need validationSplit or validationData)" : "")")
        }
        if restoreBestWeights && bestWeights == nil {
            bestWeights = context.model.getWeights()
            bestEpoch = epoch
        }
        wait += 1
        if isImprovement(current, over: best) {
            best = current
            bestEpoch = epoch
            if restoreBestWeights { bestWeights = context.model.getWeights() }
            wait = 0
            return
        }
        if wait >= patience && epoch > 0 {
            stoppedEpoch = epoch
            context.stopTraining = true
        }
    }

    public override func onTrainEnd(_ context: TrainingContext) throws {
        if restoreBestWeights, let w = bestWeights { try context.model.setWeights(w) }
    }
}
