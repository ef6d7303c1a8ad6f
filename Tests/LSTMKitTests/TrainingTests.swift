import Foundation
import XCTest
@testable import LSTMKit

final class TrainingTests: XCTestCase {
    override func setUp() {
        LSTMKit.setRandomSeed(42)
        LSTMKit.clearSession()
        Interruption.clear()
    }

    override func tearDown() { Interruption.clear() }

    func smallModel() throws -> Sequential {
        try Sequential([Input(shape: [3, 2]), LSTM(units: 8), Dense(units: 1)])
    }

    func data(_ n: Int) -> (Tensor, Tensor) {
        let x = try! Tensor.randomUniform([n, 3, 2])
        let y = try! x.sum(axis: 1).sum(axis: 1, keepDims: true) * 0.3
        return (x, y)
    }

    func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let e as LSTMKitError { return e.message } catch { return "\(error)" }
    }

    func testFitReducesTheLossOfTheTutorialAutoencoder() throws {
        let series = try Tensor((1...9).map { Float($0) / 10 }.map { [$0, $0 * $0 * $0] })
        let x = try temporalize(series, lookback: 3)
        let model = try Sequential([
            Input(shape: [3, 2]), LSTM(units: 128, activation: .relu, returnSequences: true),
            LSTM(units: 64, activation: .relu), RepeatVector(3), LSTM(units: 64, activation: .relu, returnSequences: true),
            LSTM(units: 128, activation: .relu, returnSequences: true), TimeDistributed(Dense(units: 2)),
        ])
        model.compile(optimizer: Adam(), loss: .mse)
        let history = try model.fit(x, x, epochs: 60, batchSize: 5, verbose: 0)
        let loss = try XCTUnwrap(history["loss"])
        XCTAssertEqual(loss.count, 60)
        XCTAssertLessThan(loss.last!, loss.first! * 0.2, "60 Adam epochs cut the reconstruction loss at least 5×")
        XCTAssertEqual(model.history?["loss"], loss)
    }

    func testHistoryKeysAndValidationSplitSemantics() throws {
        let model = try smallModel()
        model.compile(optimizer: Adam(), loss: .mse, metrics: [.mae])
        let (x, y) = data(10)
        var seenBatches: [Int] = []
        let h = try model.fit(x, y, epochs: 2, batchSize: 4, verbose: 0, validationSplit: 0.25,
                              callbacks: [LambdaCallback(onBatchEnd: { b, _ in seenBatches.append(b) })])
        XCTAssertEqual(h.keys, ["loss", "mae", "val_loss", "val_mae"])
        XCTAssertEqual(seenBatches, [0, 1, 0, 1], "7 training samples (floor of 7.5) in batches of 4: the partial batch is kept")
        let validationOnly = try model.evaluate(x.rows(7..<10), y.rows(7..<10), verbose: 0)
        XCTAssertEqual(h["val_loss"]?.last ?? .nan, validationOnly.loss, accuracy: 1e-6,
                       "validation uses the LAST 3 samples, unshuffled")
    }

    func testSeededShuffleIsReproducible() throws {
        func run() throws -> [Float] {
            LSTMKit.setRandomSeed(7)
            let model = try smallModel()
            model.compile(optimizer: Adam(), loss: .mse)
            let (x, y) = data(12)
            return try model.fit(x, y, epochs: 3, batchSize: 5, verbose: 0)["loss"]!
        }
        XCTAssertEqual(try run(), try run())
    }

    func testEarlyStoppingStopsAndRestoresTheBestWeights() throws {
        let model = try smallModel()
        // A learning rate this large makes val_loss rise after the first epochs.
        model.compile(optimizer: SGD(learningRate: 3), loss: .mse)
        let (x, y) = data(16)
        var bestWeights: [Tensor] = []
        var bestLoss = Float.infinity
        let recorder = LambdaCallback(onEpochEnd: { _, logs in
            if logs["val_loss"]! < bestLoss { bestLoss = logs["val_loss"]!; bestWeights = model.getWeights() }
        })
        let stopper = EarlyStopping(monitor: "val_loss", patience: 2, restoreBestWeights: true)
        let h = try model.fit(x, y, epochs: 30, batchSize: 4, verbose: 0, validationSplit: 0.25, shuffle: false,
                              callbacks: [recorder, stopper])
        let epochs = h["val_loss"]!.count
        XCTAssertLessThan(epochs, 30, "training stopped early")
        XCTAssertEqual(stopper.stoppedEpoch, epochs - 1)
        XCTAssertEqual(epochs - 1 - stopper.bestEpoch, 2, "stops after `patience` epochs without improvement")
        XCTAssertEqual(model.getWeights(), bestWeights, "the best epoch's weights are back")
    }

    func testEarlyStoppingOnAMissingKeyNamesTheAvailableOnes() throws {
        let model = try smallModel()
        model.compile(optimizer: Adam(), loss: .mse)
        let (x, y) = data(4)
        XCTAssertEqual(message { try model.fit(x, y, epochs: 2, verbose: 0, callbacks: [EarlyStopping()]) },
                       "EarlyStopping monitors 'val_loss', which fit does not report; available: loss (val_ values need validationSplit or validationData)")
    }

    func testInterruptMessageCountsFinishedEpochsAndBatchesLikeTheProgressBar() throws {
        let model = try smallModel()
        model.compile(optimizer: Adam(), loss: .mse)
        let (x, y) = data(8)
        var epochs = 0
        // The progress bar would read "Stopped after epoch 2/2000 … 3/4": the message must say the same numbers.
        let interrupter = LambdaCallback(onEpochEnd: { _, _ in epochs += 1 }, onBatchEnd: { b, _ in
            if epochs == 2 && b == 2 { lstmkit_request_interrupt() }
        })
        defer { lstmkit_clear_interrupt() }
        XCTAssertThrowsError(try model.fit(x, y, epochs: 2000, batchSize: 2, verbose: 0, callbacks: [interrupter])) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message,
                           "fit was interrupted after epoch 2/2000 and 3 of epoch 3's 4 batches; the model keeps the weights of the last completed batch")
        }
        XCTAssertEqual(model.optimizer?.iterations, 11)
        XCTAssertEqual(Interruption.fitMessage(completedEpochs: 5, epochs: 9, completedBatches: 0, batches: 4),
                       "fit was interrupted after epoch 5/9; the model keeps the weights of the last completed batch")
        XCTAssertEqual(Interruption.fitMessage(completedEpochs: 0, epochs: 9, completedBatches: 0, batches: 4),
                       "fit was interrupted before its first batch; the weights are unchanged")
        lstmkit_request_interrupt()
        XCTAssertThrowsError(try model.evaluate(x, y, batchSize: 2, verbose: 0)) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message, "evaluate was interrupted before its first batch; the weights are unchanged")
        }
    }

    func testInterruptStopsBetweenBatchesAndLeavesTheModelUsable() throws {
        let model = try smallModel()
        model.compile(optimizer: Adam(), loss: .mse)
        let (x, y) = data(20)
        var batches = 0
        let interrupter = LambdaCallback(onBatchEnd: { b, _ in
            batches += 1
            if b == 2 { lstmkit_request_interrupt() }
        })
        XCTAssertThrowsError(try model.fit(x, y, epochs: 5, batchSize: 2, verbose: 0, callbacks: [interrupter])) { error in
            guard case .interrupted(let m)? = error as? LSTMKitError else { return XCTFail("expected interrupted, got \(error)") }
            // Counted as the progress bar counts (finished batches): 3 ran, the 4th never started.
            XCTAssertEqual(m, "fit was interrupted after 3 of epoch 1's 10 batches; the model keeps the weights of the last completed batch")
        }
        XCTAssertEqual(batches, 3, "the running batch finishes, the next one does not start")
        XCTAssertEqual(model.optimizer?.iterations, 3)
        XCTAssertThrowsError(try model.predict(x, verbose: 0), "predict also honours a pending interrupt")
        lstmkit_clear_interrupt()
        XCTAssertEqual(try model.predict(x, verbose: 0).shape, [20, 1])
        XCTAssertNoThrow(try model.fit(x, y, epochs: 1, verbose: 0))
    }

    func testNaNLossStopsFitWithoutCorruptingWeights() throws {
        let model = try smallModel()
        model.compile(optimizer: Adam(), loss: .mse)
        let (x, _) = data(4)
        let before = model.getWeights()
        let y = try Tensor(repeating: .nan, shape: [4, 1])
        XCTAssertThrowsError(try model.fit(x, y, epochs: 1, verbose: 0)) { error in
            guard case .nanLoss(let m)? = error as? LSTMKitError else { return XCTFail("expected nanLoss, got \(error)") }
            XCTAssertTrue(m.hasPrefix("the loss became nan at optimizer step 1"), m)
        }
        XCTAssertEqual(model.getWeights(), before)
    }

    /// `Parameter.value` and `grad` are settable; a tensor of another shape must give a clear error on the next
    /// use (fit, predict, a direct layer call, also inside a wrapper, a pullback) instead of products reading
    /// and optimizers writing past its end (this corrupted the heap: "free(): invalid pointer"). Restoring the
    /// shape makes it usable.
    func testAWeightOfTheWrongShapeThrowsInsteadOfCorruptingMemory() throws {
        let model = try Sequential([Input(shape: [3, 2]), LSTM(units: 8, returnSequences: true), TimeDistributed(Dense(units: 2))])
        model.compile(optimizer: Adam(), loss: .mse)
        let x = try Tensor.randomUniform([5, 3, 2])
        try model.fit(x, x, epochs: 1, batchSize: 5, verbose: 0)
        let bias = model.trainableParameters.last!, kept = bias.value
        XCTAssertEqual(bias.name, "bias")
        XCTAssertEqual(bias.shape, [2])
        bias.value = try Tensor.zeros([7])
        let expected = "weight '\(bias.path)' has shape (7,) but its layer was built for (2,); assign a tensor of shape (2,) (or use setWeights)"
        XCTAssertEqual(message { try model.fit(x, x, epochs: 1, batchSize: 5, verbose: 0) }, expected)
        XCTAssertEqual(message { _ = try model.predict(x, verbose: 0) }, expected)
        let lstm = model.layers.compactMap { $0 as? LSTM }.first!
        let kernel = lstm.parameters[0], keptKernel = kernel.value
        kernel.value = try Tensor.zeros([8, 2])
        XCTAssertEqual(message { _ = try lstm(x) },
                       "weight '\(kernel.path)' has shape (8, 2) but its layer was built for (2, 32); assign a tensor of shape (2, 32) (or use setWeights)")
        kernel.value = keptKernel
        // setWeights, as the message says, puts it right (it compares with the built shape, not the assigned one).
        let dense = (model.layers.compactMap { $0 as? TimeDistributed }.first!).layer
        XCTAssertNoThrow(try dense.setWeights([dense.parameters[0].value, kept]))
        XCTAssertEqual(bias.value.shape, [2])
        XCTAssertNoThrow(try model.fit(x, x, epochs: 1, batchSize: 5, verbose: 0))
        // A rank-0 kernel: the weight message, not a trap in the layer's shape inference.
        let denseKernel = dense.parameters[0], keptDenseKernel = denseKernel.value
        denseKernel.value = Tensor(3)
        XCTAssertEqual(message { _ = try model.predict(x, verbose: 0) },
                       "weight '\(denseKernel.path)' has shape () but its layer was built for (8, 2); assign a tensor of shape (8, 2) (or use setWeights)")
        denseKernel.value = keptDenseKernel
        // A weight replaced between the forward pass and its pullback: the pullback reads it, so it throws too.
        let (o, back) = try model.forward([x], training: true)
        kernel.value = try Tensor.zeros([3])
        XCTAssertEqual(message { try back([o[0]]) },
                       "weight '\(kernel.path)' has shape (3,) but its layer was built for (2, 32); assign a tensor of shape (2, 32) (or use setWeights)")
        kernel.value = keptKernel

        // A gradient assigned another shape: the pullback throws before adding into it (it corrupted the heap).
        let (outs, pullback) = try model.forward([x], training: true)
        kernel.grad = try Tensor.zeros([3])
        XCTAssertEqual(message { try pullback([outs[0]]) },
                       "the gradient of weight '\(kernel.path)' has shape (3,) but the weight has (2, 32); assign a gradient of the weight's shape (zeroGrad() resets it)")
        model.zeroGradients()
        XCTAssertNoThrow(try pullback([outs[0]]))
        XCTAssertEqual(kernel.grad.shape, [2, 32])

        // Through the training seam the optimizer can meet such a weight too: a gradient of the old size is
        // not applied, and slots of the old size start again.
        let p = Parameter(try Tensor(shape: [2], scalars: [1, 2]), name: "bias", layerName: "manual")
        let adam = Adam()
        p.grad = try Tensor(shape: [2], scalars: [0.5, 0.5])
        adam.update([p])
        p.value = try Tensor(repeating: 3, shape: [7])
        adam.update([p])
        XCTAssertEqual(p.value.scalars, [Float](repeating: 3, count: 7), "a gradient of 2 values applied to 7 weights")
        p.zeroGrad()
        p.grad = try Tensor(repeating: 1, shape: [7])
        adam.update([p])
        XCTAssertEqual(p.value.count, 7)
        // Step 3 from fresh slots: m = 0.1, v = 0.001, so w moves by lr·√(1 − β₂³)/(1 − β₁³)·m/√v ≈ 6.39e-4.
        XCTAssertTrue(p.value.scalars.allSatisfy { abs($0 - (3 - 6.39e-4)) < 1e-5 }, "\(p.value.scalars)")
    }

    /// A pullback outlives the layer object it came from (a layer made inline and dropped): it must still run.
    func testAPullbackOutlivesItsTemporaryLayer() throws {
        let x = try Tensor.randomUniform([5, 3, 2])
        let (y, pullback): (Tensor, ([Tensor?]) throws -> [Tensor?]) = try {
            let r = try LSTM(units: 3, returnSequences: true).apply([x], training: true)
            return (r.outputs[0], r.pullback)
        }()
        XCTAssertEqual(try pullback([y])[0]?.shape, [5, 3, 2])
    }

    func testBadInputsNameExpectedAndGiven() throws {
        let model = try smallModel()
        let (x, y) = data(6)
        XCTAssertEqual(message { try model.fit(x, y, verbose: 0) },
                       "model 'sequential' must be compiled before fit: call model.compile(optimizer: Adam(), loss: .mse) first")
        model.compile(optimizer: Adam(), loss: .mse)
        XCTAssertEqual(message { try model.fit(x, y.rows(0..<5), verbose: 0) },
                       "fit expects x and y with the same number of samples: x has 6 (shape (6, 3, 2)), y has 5 (shape (5, 1))")
        XCTAssertEqual(message { try model.fit(try Tensor.zeros([0, 3, 2]), try Tensor.zeros([0, 1]), verbose: 0) },
                       "fit expects at least one sample, got x of shape (0, 3, 2)")
        XCTAssertEqual(message { try model.fit(x, y, verbose: 0, validationSplit: 1.2) },
                       "validationSplit must be between 0 and 1 (exclusive), got 1.2")
        XCTAssertEqual(message { try model.fit(x.rows(0..<1), y.rows(0..<1), verbose: 0, validationSplit: 0.5) },
                       "validationSplit=0.5 leaves an empty training part: the data has 1 samples, which is not enough to split into training (0) and validation (1) samples")
        XCTAssertEqual(message { try model.fit(x, try Tensor.zeros([6, 2]), verbose: 0) },
                       "mean_squared_error expects targets of shape (6, 1) (the model's output), got (6, 2)")
        XCTAssertEqual(message { try model.fit(x, y, batchSize: 0, verbose: 0) }, "fit expects batchSize >= 1, got 0")
        XCTAssertEqual(message { try model.compile(optimizer: "adamw", loss: "mse") },
                       "unknown optimizer 'adamw'; expected one of 'adam', 'sgd', 'rmsprop'")
        XCTAssertEqual(message { try model.compile(optimizer: "adam", loss: "hinge") },
                       "unknown loss 'hinge'; expected one of 'mean_squared_error', 'mean_absolute_error', 'binary_crossentropy', 'categorical_crossentropy', 'sparse_categorical_crossentropy' (or 'mse', 'mae')")
        XCTAssertEqual(message { try model.evaluate(try Tensor.zeros([2, 3, 5]), try Tensor.zeros([2, 1]), verbose: 0) },
                       "LSTM 'lstm' expects input of shape (None, 3, 2), got (2, 3, 5)")
    }

    func testVerboseLinesLookLikeKeras() throws {
        var lines: [String] = []
        let saved = TrainingProgress.reporterFactory
        defer { TrainingProgress.reporterFactory = saved }
        TrainingProgress.reporterFactory = { _ in TextProgressReporter { lines.append($0) } }
        let model = try smallModel()
        model.compile(optimizer: Adam(), loss: .mse, metrics: [.mae])
        let (x, y) = data(10)
        try model.fit(x, y, epochs: 2, batchSize: 4, verbose: 1, validationSplit: 0.2)
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines[0], "Epoch 1/2")
        let pattern = #"^2/2 ━{20} \d+s \d+(us|ms|s)/step - loss: \d\.\d{4} - mae: \d\.\d{4} - val_loss: \d\.\d{4} - val_mae: \d\.\d{4}$"#
        XCTAssertNotNil(lines[1].range(of: pattern, options: .regularExpression), lines[1])
        lines = []
        try model.fit(x, y, epochs: 1, batchSize: 4, verbose: 2)
        XCTAssertNotNil(lines[1].range(of: #"^3/3 - \d+s - \d+(us|ms|s)/step - loss: \d\.\d{4} - mae: \d\.\d{4}$"#, options: .regularExpression), lines[1])
        lines = []
        try model.fit(x, y, epochs: 1, verbose: 0)
        XCTAssertEqual(lines, [], "verbose 0 prints nothing")
        XCTAssertEqual(TrainingLogs.format(0.00012345), "1.2345e-04")
    }

    func testTrainOnBatchMatchesOneFitStep() throws {
        let a = try smallModel(), b = try smallModel()
        try b.setWeights(a.getWeights())
        a.compile(optimizer: Adam(), loss: .mse)
        b.compile(optimizer: Adam(), loss: .mse)
        let (x, y) = data(5)
        let loss = try a.trainOnBatch(x, y)
        let h = try b.fit(x, y, epochs: 1, batchSize: 5, verbose: 0, shuffle: false)
        XCTAssertEqual(loss, h["loss"]![0])
        XCTAssertEqual(a.getWeights(), b.getWeights())
    }

    func testBadLabelsThrowInsteadOfTrapping() throws {
        let p = try Tensor([[0.2, 0.8], [0.5, 0.5]])
        XCTAssertEqual(message { _ = try Loss.sparseCategoricalCrossentropy.value(targets: Tensor([1, .nan]), predictions: p) },
                       "sparse_categorical_crossentropy expects integer labels in 0..<2, got nan")
        XCTAssertEqual(message { _ = try Loss.sparseCategoricalCrossentropy.value(targets: Tensor([1e30, 0]), predictions: p) },
                       "sparse_categorical_crossentropy expects integer labels in 0..<2, got 1e+30")
        XCTAssertEqual(message { _ = try Metric.sparseCategoricalAccuracy.value(targets: Tensor([7, 0]), predictions: p) },
                       "metric 'sparse_categorical_accuracy' expects integer labels in 0..<2, got 7.0")
        XCTAssertEqual(message { _ = try Loss.categoricalCrossentropy.value(targets: Tensor([1, 0]), predictions: p) },
                       "categorical_crossentropy expects targets of shape (2, 2) (the model's output), got (2,)")
    }

    func testMaskedStepsDoNotCountInTheLoss() throws {
        let loss = Loss.meanSquaredError
        let y = try Tensor.zeros([1, 3, 1]), p = try Tensor([[[1], [2], [100]]])
        let v = try loss.valueAndGradient(targets: y, predictions: p, mask: Tensor([1, 1, 0]))
        XCTAssertEqual(v.value, 2.5, accuracy: 1e-5, "(1 + 4) / 2: the padded step is ignored")
        XCTAssertEqual(v.gradient.scalars[2], 0)
    }
}
