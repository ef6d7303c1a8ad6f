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
        trainingLock.lock()
        defer { trainingLock.unlock() }
        let c = try requireCompiled("fit")
        try checkLoopArguments(batchSize: batchSize, verbose: verbose, what: "fit")
        guard epochs >= 0 else { throw LSTMKitError.invalidArgument("fit expects epochs >= 0, got \(epochs)") }
        let total = try checkedSampleCount(x, y, what: "fit")
        try checkTargets(y)
        let fresh = try runningMeans(c, outputs: y.count)   // a metrics form that does not fit throws before training
        var trainX = x, trainY = y
        var validation: ([Tensor], [Tensor])?
        if let (vx, vy) = validationData {
            _ = try checkedSampleCount(vx, vy, what: "fit validationData")
            try checkTargets(vy)
            validation = (vx, vy)
        } else if validationSplit != 0 {
            let at = try splitPoint(samples: total, fraction: validationSplit, argument: "validationSplit")
            trainX = x.map { $0.rows(0..<at) }
            trainY = y.map { $0.rows(0..<at) }
            validation = (x.map { $0.rows(at..<total) }, y.map { $0.rows(at..<total) })
        }
        let n = trainX[0].shape[0]
        // A batch larger than the data is the whole data (Keras accepts any size; Int.max overflowed below).
        let batchSize = Swift.min(batchSize, Swift.max(n, 1))
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
            var running = fresh
            for step in 0..<steps {
                try Interruption.check(message: Interruption.fitMessage(completedEpochs: epoch, epochs: epochs,
                                                                        completedBatches: step, batches: steps))
                let range = (step * batchSize)..<Swift.min(n, (step + 1) * batchSize)
                let bx = try batch(trainX, range, order), by = try batch(trainY, range, order)
                let result = try trainStep(bx, by, compiled: c)
                try running.add(loss: result.loss, outputLosses: result.outputLosses, targets: by, outputs: result.outputs, masks: result.masks, samples: range.count)
                let logs = running.logs
                reporter?.batchEnded(step: step + 1, logs: logs, settings: settings)
                for cb in callbacks { try cb.onBatchEnd(step, logs: logs, context: context) }
            }
            var logs = running.logs
            if let (vx, vy) = validation {
                logs.append(try evaluateLoop(vx, vy, batchSize: batchSize, compiled: c, what: "fit's validation after epoch \(epoch + 1)/\(epochs)",
                                                weights: "the model keeps the weights of epoch \(epoch + 1)"), prefix: "val_")
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

    /// Targets must match the outputs in number.
    func checkTargets(_ y: [Tensor]) throws {
        guard y.count == outputs.count || outputs.isEmpty else {
            throw LSTMKitError.invalidArgument("model '\(name)' has \(outputs.count) output(s), so it expects \(outputs.count) target tensor(s), got \(y.count)")
        }
    }

    /// Empty running means for the compiled metrics on a model with `n` outputs: the metrics of each
    /// output resolved from the `compile` form as Keras resolves them, and Keras's log names.
    func runningMeans(_ c: CompiledTraining, outputs n: Int) throws -> RunningMeans {
        let known = outputNames
        let names = n == known.count ? known : (0..<n).map { _ in name }
        func invalid(_ received: String, _ reason: String) -> LSTMKitError {
            let quoted = names.map { "'\($0)'" }.joined(separator: ", ")
            let structure = Array(repeating: "'X'", count: n).joined(separator: ", ")
            return LSTMKitError.invalidArgument(
                "model '\(name)' has \(n) outputs (\(names.joined(separator: ", "))): \(reason). Invalid `metrics`. `metrics` should contain metrics objects and either be a dict or a list matching the output names of the functional model [\(quoted)] or match the output structure of the model: [\(structure)].\nReceived: metrics=\(received)")
        }
        func pyList(_ ms: [Metric]) -> String { "[" + ms.map { "'\($0.name)'" }.joined(separator: ", ") + "]" }
        let perOutput: [[Metric]]
        switch c.metricSpec {
        case .list(let ms):
            if n == 1 { perOutput = [ms] }
            else if ms.isEmpty { perOutput = Array(repeating: [], count: n) }
            else if ms.count == n { perOutput = ms.map { [$0] } }
            else { throw invalid(pyList(ms), "a flat metrics list needs one metric per output (\(n)), got \(ms.count)") }
        case .perOutput(let lists):
            guard lists.count == n else {
                throw invalid("[" + lists.map(pyList).joined(separator: ", ") + "]", "expected \(n) metric lists (one per output), got \(lists.count)")
            }
            perOutput = lists
        case .byName(let dict):
            let received = "{" + dict.keys.sorted().map { "'\($0)': \(pyList(dict[$0]!))" }.joined(separator: ", ") + "}"
            if let unknown = dict.keys.sorted().first(where: { !names.contains($0) }) {
                throw invalid(received, "no output is named '\(unknown)'")
            }
            perOutput = names.map { dict[$0] ?? [] }
        }
        return RunningMeans(metrics: perOutput, outputNames: n > 1 ? names : nil)
    }
}

/// Batch-size-weighted running means of the loss, the per-output losses (several outputs) and the metrics
/// over an epoch (Keras's mean trackers), reported under Keras's names.
struct RunningMeans {
    /// Metrics per output.
    let metrics: [[Metric]]
    /// `<output>_loss` per output when the model has several outputs, else empty.
    private let lossNames: [String]
    /// The log name of each metric, per output (`mae`, or `<output>_mae` with several outputs).
    private let metricNames: [[String]]
    private var lossSum = 0.0
    private var samples = 0
    private var outputLossSums: [Double]
    private var metricSums: [[Double]]
    private var metricWeights: [[Double]]

    /// `outputNames` nil: a single-output model (plain metric names); else one name per output.
    init(metrics: [[Metric]], outputNames: [String]?) {
        self.metrics = metrics
        var used = Set(["loss"])
        func unique(_ base: String) -> String {   // Keras appends _1, _2, … to a repeated name
            var candidate = base, k = 1
            while used.contains(candidate) { candidate = "\(base)_\(k)"; k += 1 }
            used.insert(candidate)
            return candidate
        }
        if let outputNames {
            lossNames = outputNames.map { unique("\($0)_loss") }
            metricNames = zip(outputNames, metrics).map { o, ms in ms.map { unique("\(o)_\($0.name)") } }
        } else {
            lossNames = []
            metricNames = metrics.map { $0.map { unique($0.name) } }
        }
        outputLossSums = Array(repeating: 0, count: lossNames.count)
        metricSums = metrics.map { Array(repeating: 0, count: $0.count) }
        metricWeights = metricSums
    }

    /// Adds one batch: its loss and per-output losses (weighted by the batch size) and its metrics (weighted
    /// by the output's mask when there is one).
    mutating func add(loss: Float, outputLosses: [Float], targets: [Tensor], outputs: [Tensor], masks: [Tensor?], samples count: Int) throws {
        lossSum += Double(loss) * Double(count)
        samples += count
        for k in 0..<Swift.min(outputLossSums.count, outputLosses.count) { outputLossSums[k] += Double(outputLosses[k]) * Double(count) }
        for (k, ms) in metrics.enumerated() where k < outputs.count {
            for (i, m) in ms.enumerated() {
                let (s, w) = try m.weightedSum(targets: targets[k], predictions: outputs[k], mask: k < masks.count ? masks[k] : nil)
                metricSums[k][i] += s
                metricWeights[k][i] += w
            }
        }
    }

    var logs: TrainingLogs {
        var l = TrainingLogs()
        let n = Double(Swift.max(samples, 1))
        l.set("loss", Float(lossSum / n))
        for k in metrics.indices {
            if k < lossNames.count { l.set(lossNames[k], Float(outputLossSums[k] / n)) }
            for i in metrics[k].indices { l.set(metricNames[k][i], Float(metricSums[k][i] / Swift.max(metricWeights[k][i], 1e-12))) }
        }
        return l
    }
}
