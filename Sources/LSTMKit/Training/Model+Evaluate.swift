import Foundation

extension Model {
    /// The loss and metrics on `x`, `y` (Keras's `evaluate`), computed in batches of `batchSize`.
    /// The loss is the batch-size-weighted mean over batches; `logs.loss` or `logs["mae"]` read it.
    @discardableResult
    public func evaluate(_ x: Tensor, _ y: Tensor, batchSize: Int = 32, verbose: Int = 1) throws -> TrainingLogs {
        try evaluate([x], [y], batchSize: batchSize, verbose: verbose)
    }

    /// `evaluate` for models with several inputs and/or outputs.
    @discardableResult
    public func evaluate(_ x: [Tensor], _ y: [Tensor], batchSize: Int = 32, verbose: Int = 1) throws -> TrainingLogs {
        trainingLock.lock()
        defer { trainingLock.unlock() }
        let c = try requireCompiled("evaluate")
        try checkLoopArguments(batchSize: batchSize, verbose: verbose, what: "evaluate")
        _ = try checkedSampleCount(x, y, what: "evaluate")
        try checkTargets(y)
        let n = x[0].shape[0]
        let batchSize = Swift.min(batchSize, Swift.max(n, 1))   // larger batches are the whole data
        let settings = ProgressSettings(phase: .evaluate, verbose: verbose, epochs: 1,
                                        stepsPerEpoch: (n + batchSize - 1) / batchSize, samples: n)
        let reporter = TrainingProgress.reporter(settings)
        defer { reporter?.finished(settings: settings) }
        reporter?.epochBegan(0, settings: settings)
        let started = DispatchTime.now().uptimeNanoseconds
        let logs = try evaluateLoop(x, y, batchSize: batchSize, compiled: c, what: "evaluate") { step, logs in
            reporter?.batchEnded(step: step, logs: logs, settings: settings)
        }
        reporter?.epochEnded(0, logs: logs, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, settings: settings)
        return logs
    }

    /// The evaluation loop shared by `evaluate` and `fit`'s validation (inference mode, no updates).
    func evaluateLoop(_ x: [Tensor], _ y: [Tensor], batchSize: Int, compiled c: CompiledTraining, what: String,
                      weights: String = "the weights are unchanged",
                      onBatch: ((Int, TrainingLogs) -> Void)? = nil) throws -> TrainingLogs {
        let n = x[0].shape[0]
        let batchSize = Swift.min(batchSize, Swift.max(n, 1))
        let steps = (n + batchSize - 1) / batchSize
        var running = try runningMeans(c, outputs: y.count)
        for step in 0..<steps {
            try Interruption.check(message: Interruption.loopMessage(what, completedBatches: step, batches: steps, weights: weights))
            let range = (step * batchSize)..<Swift.min(n, (step + 1) * batchSize)
            let bx = x.map { $0.rows(range) }, by = y.map { $0.rows(range) }
            let f = try GradientMode.withoutGradients { try forwardWithMasks(bx, training: false) }
            let (dataLoss, outputLosses, _) = try lossAndGradients(by, f.outputs, masks: f.masks, loss: c.loss)
            let loss = dataLoss + regularizationLoss()   // Keras's test step adds model.losses too
            try running.add(loss: loss, outputLosses: outputLosses, targets: by, outputs: f.outputs, masks: f.masks, samples: range.count)
            onBatch?(step + 1, running.logs)
        }
        return running.logs
    }

    /// The model's (first) output for `x`, computed in batches of `batchSize` (Keras's `predict`).
    /// Does not need `compile`. Stops between batches when an interrupt is requested.
    public func predict(_ x: Tensor, batchSize: Int = 32, verbose: Int = 1) throws -> Tensor {
        try predictAll([x], batchSize: batchSize, verbose: verbose)[0]
    }

    /// Every output for inputs `x` (one tensor per model input), in batches of `batchSize`.
    public func predictAll(_ x: [Tensor], batchSize: Int = 32, verbose: Int = 1) throws -> [Tensor] {
        try checkLoopArguments(batchSize: batchSize, verbose: verbose, what: "predict")
        let n = try checkedSampleCount(x, nil, what: "predict")
        let batchSize = Swift.min(batchSize, Swift.max(n, 1))   // larger batches are the whole data
        let steps = (n + batchSize - 1) / batchSize
        let settings = ProgressSettings(phase: .predict, verbose: verbose, epochs: 1, stepsPerEpoch: steps, samples: n)
        let reporter = TrainingProgress.reporter(settings)
        defer { reporter?.finished(settings: settings) }
        reporter?.epochBegan(0, settings: settings)
        let started = DispatchTime.now().uptimeNanoseconds
        var parts: [[Tensor]] = []
        for step in 0..<steps {
            try Interruption.check(message: Interruption.loopMessage("predict", completedBatches: step, batches: steps,
                                                                       weights: "the weights are unchanged"))
            let range = (step * batchSize)..<Swift.min(n, (step + 1) * batchSize)
            parts.append(try GradientMode.withoutGradients { try forwardWithMasks(x.map { $0.rows(range) }, training: false).outputs })
            reporter?.batchEnded(step: step + 1, logs: TrainingLogs(), settings: settings)
        }
        let outputs = try (0..<(parts.first?.count ?? 0)).map { k in
            parts.count == 1 ? parts[0][k] : try Tensor.concatenated(parts.map { $0[k] }, axis: 0)
        }
        reporter?.epochEnded(0, logs: TrainingLogs(), seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9,
                             settings: settings)
        return outputs
    }
}
