import Foundation

extension Model {
    /// Trains the model (Keras's `fit`) and returns the per-epoch `History`.
    ///
    /// Keras semantics: batches of `batchSize` (the last, partial batch is kept), samples shuffled at
    /// every epoch when `shuffle` (drawn from `LSTMKit.setRandomSeed`), `validationSplit` takes the LAST
    /// fraction of the samples before shuffling, `validationData` overrides it, and the epoch loss is the
    /// batch-size-weighted mean of the batch losses (each computed before that batch's update).
    /// Stops between batches when an interrupt is requested (`LSTMKitError.interrupted`; the model keeps
    /// the weights of the last completed batch and `model.history` the completed epochs).
    @discardableResult
    public func fit(_ x: Tensor, _ y: Tensor, epochs: Int = 1, batchSize: Int = 32, verbose: Int = 1,
                    validationSplit: Double = 0, validationData: (Tensor, Tensor)? = nil, shuffle: Bool = true,
                    callbacks: [Callback] = []) throws -> History {
        try fit([x], [y], epochs: epochs, batchSize: batchSize, verbose: verbose, validationSplit: validationSplit,
                validationData: validationData.map { ([$0.0], [$0.1]) }, shuffle: shuffle, callbacks: callbacks)
    }

    /// `fit` for models with several inputs and/or outputs (one tensor per model input / output).
    @discardableResult
    public func fit(_ x: [Tensor], _ y: [Tensor], epochs: Int = 1, batchSize: Int = 32, verbose: Int = 1,
                    validationSplit: Double = 0, validationData: ([Tensor], [Tensor])? = nil, shuffle: Bool = true,
                    callbacks: [Callback] = []) throws -> History {
        let c = try requireCompiled("fit")
        try checkLoopArguments(batchSize: batchSize, verbose: verbose, what: "fit")
        guard epochs >= 0 else { throw LSTMKitError.invalidArgument("fit expects epochs >= 0, got \(epochs)") }
        let total = try checkedSampleCount(x, y, what: "fit")
        try checkTargets(y, metrics: c.metrics)
        var trainX = x, trainY = y
        var validation: ([Tensor], [Tensor])?
        if let (vx, vy) = validationData {
            _ = try checkedSampleCount(vx, vy, what: "fit validationData")
            try checkTargets(vy, metrics: c.metrics)
            validation = (vx, vy)
        } else if validationSplit != 0 {
            let at = try splitPoint(samples: total, fraction: validationSplit, argument: "validationSplit")
            trainX = x.map { $0.rows(0..<at) }
            trainY = y.map { $0.rows(0..<at) }
            validation = (x.map { $0.rows(at..<total) }, y.map { $0.rows(at..<total) })
        }
        let n = trainX[0].shape[0]
        let steps = (n + batchSize - 1) / batchSize
        let settings = ProgressSettings(phase: .fit, verbose: verbose, epochs: epochs, stepsPerEpoch: steps, samples: n)
        let reporter = TrainingProgress.reporter(settings)
        defer { reporter?.finished(settings: settings) }
        let context = TrainingContext(model: self, epochs: epochs)
        c.history = History()
        for cb in callbacks { try cb.onTrainBegin(context) }
        for epoch in 0..<epochs {
            for cb in callbacks { try cb.onEpochBegin(epoch, context: context) }
            reporter?.epochBegan(epoch, settings: settings)
            let started = DispatchTime.now().uptimeNanoseconds
            let order = shuffle ? LSTMKit.permutation(n) : nil
            var running = RunningMeans(metrics: c.metrics)
            for step in 0..<steps {
                try Interruption.check("fit (epoch \(epoch + 1)/\(epochs), batch \(step + 1)/\(steps))")
                let range = (step * batchSize)..<Swift.min(n, (step + 1) * batchSize)
                let bx = try batch(trainX, range, order), by = try batch(trainY, range, order)
                let result = try trainStep(bx, by, compiled: c)
                try running.add(loss: result.loss, targets: by, outputs: result.outputs, masks: result.masks, samples: range.count)
                let logs = running.logs
                reporter?.batchEnded(step: step + 1, logs: logs, settings: settings)
                for cb in callbacks { try cb.onBatchEnd(step, logs: logs, context: context) }
            }
            var logs = running.logs
            if let (vx, vy) = validation {
                logs.append(try evaluateLoop(vx, vy, batchSize: batchSize, compiled: c, what: "fit validation"), prefix: "val_")
            }
            c.history?.record(epoch: epoch, logs: logs)
            context.history = c.history ?? History()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            reporter?.epochEnded(epoch, logs: logs, seconds: seconds, settings: settings)
            for cb in callbacks { try cb.onEpochEnd(epoch, logs: logs, context: context) }
            if context.stopTraining { break }
        }
        for cb in callbacks { try cb.onTrainEnd(context) }
        return c.history ?? History()
    }

    /// Rows `range` of each tensor, in shuffled `order` when given.
    func batch(_ tensors: [Tensor], _ range: Range<Int>, _ order: [Int]?) throws -> [Tensor] {
        guard let order else { return tensors.map { $0.rows(range) } }
        let rows = Array(order[range])
        return try tensors.map { try $0.gathering(rows: rows) }
    }

    func checkLoopArguments(batchSize: Int, verbose: Int, what: String) throws {
        guard batchSize >= 1 else { throw LSTMKitError.invalidArgument("\(what) expects batchSize >= 1, got \(batchSize)") }
        guard (0...2).contains(verbose) else { throw LSTMKitError.invalidArgument("\(what) expects verbose 0, 1 or 2, got \(verbose)") }
    }

    /// Targets must match the outputs in number; metrics are reported for single-output models only.
    func checkTargets(_ y: [Tensor], metrics: [Metric]) throws {
        guard y.count == outputs.count || outputs.isEmpty else {
            throw LSTMKitError.invalidArgument("model '\(name)' has \(outputs.count) output(s), so it expects \(outputs.count) target tensor(s), got \(y.count)")
        }
        if !metrics.isEmpty && y.count > 1 {
            throw LSTMKitError.invalidArgument("metrics are reported for single-output models; model '\(name)' has \(y.count) outputs (compile it without metrics)")
        }
    }
}

/// Batch-size-weighted running means of the loss and metrics over an epoch (Keras's mean trackers).
struct RunningMeans {
    let metrics: [Metric]
    private var lossSum = 0.0
    private var samples = 0
    private var metricSums: [Double]
    private var metricWeights: [Double]

    init(metrics: [Metric]) {
        self.metrics = metrics
        metricSums = Array(repeating: 0, count: metrics.count)
        metricWeights = Array(repeating: 0, count: metrics.count)
    }

    /// Adds one batch: its loss (weighted by the batch size) and its metrics (weighted by the output's
    /// mask when there is one).
    mutating func add(loss: Float, targets: [Tensor], outputs: [Tensor], masks: [Tensor?], samples count: Int) throws {
        lossSum += Double(loss) * Double(count)
        samples += count
        for (i, m) in metrics.enumerated() {
            let (s, w) = try m.weightedSum(targets: targets[0], predictions: outputs[0], mask: masks.first ?? nil)
            metricSums[i] += s
            metricWeights[i] += w
        }
    }

    var logs: TrainingLogs {
        var l = TrainingLogs()
        l.set("loss", Float(lossSum / Double(Swift.max(samples, 1))))
        for (i, m) in metrics.enumerated() { l.set(m.name, Float(metricSums[i] / Swift.max(metricWeights[i], 1e-12))) }
        return l
    }
}
