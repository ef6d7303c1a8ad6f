import Foundation

/// The `metrics` argument of `compile` in one of Keras's forms.
enum MetricSpec: Equatable {
    /// A flat list: the metrics of a single-output model, or one metric per output of a multi-output model.
    case list([Metric])
    /// One list per output, in output order.
    case perOutput([[Metric]])
    /// Lists keyed by output name (the output layer's name); outputs not named get none.
    case byName([String: [Metric]])
}

/// What `compile` configured, kept on the model between calls.
final class CompiledTraining {
    let optimizer: Optimizer
    let loss: Loss
    let metricSpec: MetricSpec
    var history: History?

    init(optimizer: Optimizer, loss: Loss, metrics: MetricSpec) {
        self.optimizer = optimizer
        self.loss = loss
        self.metricSpec = metrics
    }

    /// The flat list given to `compile` (empty for the per-output forms).
    var metrics: [Metric] { if case .list(let m) = metricSpec { return m } else { return [] } }
}

extension Model {
    var compiled: CompiledTraining? { trainingStorage["compiled"] as? CompiledTraining }

    /// Configures training: the optimizer, the loss and the metrics to report (Keras's `compile`).
    ///
    /// The loss applies to every output (summed). For a model with several outputs, a flat `metrics`
    /// list must have one metric per output (Keras's rule); use the `[[Metric]]` or `[String: [Metric]]`
    /// overloads for several metrics per output. Multi-output logs are named like Keras's:
    /// `loss`, `<output>_loss` per output, `<output>_<metric>` (output = the output layer's name).
    /// A `metrics` form that does not fit the model throws when `fit`/`evaluate`/`trainOnBatch` first use it,
    /// as in Keras.
    public func compile(optimizer: Optimizer = Adam(), loss: Loss, metrics: [Metric] = []) {
        trainingStorage["compiled"] = CompiledTraining(optimizer: optimizer, loss: loss, metrics: .list(metrics))
    }

    /// `compile` with one metric list per output, in output order (Keras's list of lists).
    @_disfavoredOverload
    public func compile(optimizer: Optimizer = Adam(), loss: Loss, metrics: [[Metric]]) {
        trainingStorage["compiled"] = CompiledTraining(optimizer: optimizer, loss: loss, metrics: .perOutput(metrics))
    }

    /// `compile` with metric lists keyed by output name (the output layer's name), like Keras's dict form.
    @_disfavoredOverload
    public func compile(optimizer: Optimizer = Adam(), loss: Loss, metrics: [String: [Metric]]) {
        trainingStorage["compiled"] = CompiledTraining(optimizer: optimizer, loss: loss, metrics: .byName(metrics))
    }

    /// `compile` with Keras's string names: `compile(optimizer: "adam", loss: "mse", metrics: ["mae"])`.
    public func compile(optimizer: String, loss: String, metrics: [String] = []) throws {
        compile(optimizer: try Optimizer.named(optimizer), loss: try Loss(name: loss), metrics: try metrics.map { try Metric(name: $0) })
    }

    /// String names, one metric list per output: `metrics: [["mae"], ["mse", "mae"]]`.
    @_disfavoredOverload
    public func compile(optimizer: String, loss: String, metrics: [[String]]) throws {
        compile(optimizer: try Optimizer.named(optimizer), loss: try Loss(name: loss),
                metrics: try metrics.map { try $0.map { try Metric(name: $0) } })
    }

    /// String names, metric lists keyed by output name: `metrics: ["b": ["mae"]]`.
    @_disfavoredOverload
    public func compile(optimizer: String, loss: String, metrics: [String: [String]]) throws {
        compile(optimizer: try Optimizer.named(optimizer), loss: try Loss(name: loss),
                metrics: try metrics.mapValues { try $0.map { try Metric(name: $0) } })
    }

    /// `compile` with an optimizer object and a loss name.
    public func compile(optimizer: Optimizer, loss: String, metrics: [String] = []) throws {
        compile(optimizer: optimizer, loss: try Loss(name: loss), metrics: try metrics.map { try Metric(name: $0) })
    }

    /// An optimizer object, a loss name and one metric list per output.
    @_disfavoredOverload
    public func compile(optimizer: Optimizer, loss: String, metrics: [[String]]) throws {
        compile(optimizer: optimizer, loss: try Loss(name: loss), metrics: try metrics.map { try $0.map { try Metric(name: $0) } })
    }

    /// An optimizer object, a loss name and metric lists keyed by output name.
    @_disfavoredOverload
    public func compile(optimizer: Optimizer, loss: String, metrics: [String: [String]]) throws {
        compile(optimizer: optimizer, loss: try Loss(name: loss), metrics: try metrics.mapValues { try $0.map { try Metric(name: $0) } })
    }

    /// Whether `compile` has been called.
    public var isCompiled: Bool { compiled != nil }

    /// The optimizer given to `compile`, if any.
    public var optimizer: Optimizer? { compiled?.optimizer }

    /// The loss given to `compile`, if any.
    public var loss: Loss? { compiled?.loss }

    /// The history of the last `fit` (also after an interrupted or failed fit: the epochs completed).
    public var history: History? { compiled?.history }

    func requireCompiled(_ what: String) throws -> CompiledTraining {
        guard let c = compiled else {
            throw LSTMKitError.notCompiled(
                "model '\(name)' must be compiled before \(what): call model.compile(optimizer: Adam(), loss: .mse) first")
        }
        return c
    }

    /// One optimisation step on one batch (Keras's `train_on_batch`); returns the batch loss computed
    /// before the update, weight penalties (`kernelRegularizer:` etc.) included, as Keras reports it.
    /// Weight constraints are applied after the update. Throws `LSTMKitError.nanLoss` (without updating)
    /// if the loss is not finite.
    @discardableResult
    public func trainOnBatch(_ x: Tensor, _ y: Tensor) throws -> Float {
        try trainOnBatch([x], [y])
    }

    /// `trainOnBatch` for models with several inputs and/or outputs.
    @discardableResult
    public func trainOnBatch(_ x: [Tensor], _ y: [Tensor]) throws -> Float {
        trainingLock.lock()
        defer { trainingLock.unlock() }
        let c = try requireCompiled("trainOnBatch")
        _ = try checkedSampleCount(x, y, what: "trainOnBatch")
        try checkTargets(y)
        _ = try runningMeans(c, outputs: y.count)   // a metrics form that does not fit throws here, as in Keras
        return try trainStep(x, y, compiled: c).loss
    }

    /// Forward, loss, backward and update on one batch. Returns the loss and the outputs and masks (before
    /// the update) so metrics can be computed on them, as Keras does.
    ///
    /// Steps are serialised process-wide (`Model.stepLock`): two threads training the same model, or models
    /// that share layers, take turns step by step instead of updating the same weights and optimizer slots
    /// at once (which crashed).
    func trainStep(_ x: [Tensor], _ y: [Tensor], compiled c: CompiledTraining)
        throws -> (loss: Float, outputLosses: [Float], outputs: [Tensor], masks: [Tensor?]) {
        Model.stepLock.lock()
        defer { Model.stepLock.unlock() }
        zeroGradients()
        let f = try forwardWithMasks(x, training: true)
        let (dataLoss, outputLosses, grads) = try lossAndGradients(y, f.outputs, masks: f.masks, loss: c.loss)
        // Like Keras: the weight penalties (model.losses) are part of the loss that is reported and minimised.
        let params = trainableParameters
        let loss = dataLoss + Model.penalty(params)
        guard loss.isFinite else {
            throw LSTMKitError.nanLoss(
                "the loss became \(loss) at optimizer step \(c.optimizer.iterations + 1); training stopped before applying it, so the model keeps its last finite weights (try a smaller learning rate or scaled inputs)")
        }
        _ = try f.pullback(grads)
        for p in params { p.regularizer?.accumulateGradient(p.value, into: &p.grad) }
        c.optimizer.update(params)
        // Keras applies each variable's constraint right after the optimizer step.
        for p in params { if let k = p.constraint { p.value = k.apply(p.value) } }
        return (loss, outputLosses, f.outputs, f.masks)
    }

    /// Held for the length of one training step (see `trainStep`).
    static let stepLock = NSLock()

    /// The sum of the regularizer penalties of the trainable weights (Keras's `sum(model.losses)`), on the
    /// current weights; 0 without regularizers.
    public func regularizationLoss() -> Float { Model.penalty(trainableParameters) }

    /// The summed regularizer penalties of `params` (0 when none has a regularizer).
    static func penalty(_ params: [Parameter]) -> Float {
        var total: Float = 0
        for p in params { if let r = p.regularizer { total += r.penalty(p.value) } }
        return total
    }

    /// The summed loss over outputs, each output's loss, and d(loss)/d(output) for each output.
    func lossAndGradients(_ y: [Tensor], _ outputs: [Tensor], masks: [Tensor?], loss: Loss) throws -> (Float, [Float], [Tensor?]) {
        guard y.count == outputs.count else {
            throw LSTMKitError.invalidArgument("model '\(name)' has \(outputs.count) output(s), so it expects \(outputs.count) target tensor(s), got \(y.count)")
        }
        var total: Float = 0
        var each: [Float] = []
        var grads: [Tensor?] = []
        for (k, (target, prediction)) in zip(y, outputs).enumerated() {
            // Keras masks the loss with the output's mask only where it lines up with the loss rows.
            var mask = k < masks.count ? masks[k] : nil
            if let m = mask, m.count * (prediction.shape.last ?? 1) != prediction.count { mask = nil }
            let (v, g) = try loss.valueAndGradient(targets: target, predictions: prediction, mask: mask)
            total += v
            each.append(v)
            grads.append(g)
        }
        return (total, each, grads)
    }

    /// Checks that every x and y tensor holds the same non-zero number of samples; returns it.
    func checkedSampleCount(_ x: [Tensor], _ y: [Tensor]?, what: String) throws -> Int {
        guard let first = x.first else {
            throw LSTMKitError.emptyData("\(what) expects at least one input tensor, got none")
        }
        guard first.rank >= 1, first.shape[0] > 0 else {
            throw LSTMKitError.emptyData("\(what) expects at least one sample, got x of shape \(formatShape(first.shape))")
        }
        let n = first.shape[0]
        for t in x.dropFirst() where t.shape.first != n {
            throw LSTMKitError.shapeMismatch("\(what) expects every input with \(n) samples, got one of shape \(formatShape(t.shape))")
        }
        for t in y ?? [] where t.shape.first != n {
            throw LSTMKitError.shapeMismatch(
                "\(what) expects x and y with the same number of samples: x has \(n) (shape \(formatShape(first.shape))), y has \(t.shape.first ?? 0) (shape \(formatShape(t.shape)))")
        }
        return n
    }
}
