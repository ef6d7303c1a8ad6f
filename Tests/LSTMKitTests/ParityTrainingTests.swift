import Foundation
import XCTest
@testable import LSTMKit

/// Optimizer steps, fit histories, evaluate and predict against real Keras 3 (tools/fixtures/fixtures_training.py).
final class ParityTrainingTests: XCTestCase {
    struct Step: Decodable {
        struct Losses: Decodable { let before: Double; let reported: Double }
        let name: String
        let optimizer: String
        let arguments: [String: NumberOrBool]
        let losses: [Losses]
        let weightsAfter: [FixtureTensor]
    }

    struct Fit: Decodable {
        let name: String
        let arguments: [String: Double]
        let metrics: [String]
        let history: [String: [Double]]
        let epochs: [Int]
        let weightsAfter: [FixtureTensor]
        let evaluate: [String: Double]
        let predict: FixtureTensor
    }

    struct File: Decodable {
        let startWeights: [FixtureTensor]
        let x: FixtureTensor
        let y: FixtureTensor
        let steps: [Step]
        let fitX: FixtureTensor
        let fitY: FixtureTensor
        let fitValidationX: FixtureTensor
        let fitValidationY: FixtureTensor
        let fits: [Fit]
        let maskedFit: MaskedFit
        let earlyStopping: EarlyStop
    }

    struct EarlyStop: Decodable {
        let history: [String: [Double]]
        let stoppedEpoch: Int
        let bestEpoch: Int
        let weightsAfter: [FixtureTensor]
    }

    struct MaskedFit: Decodable {
        let startWeights: [FixtureTensor]
        let x: FixtureTensor
        let y: FixtureTensor
        let history: [String: [Double]]
        let historyTorchBackend: [String: [Double]]
        let weightsAfter: [FixtureTensor]
        let evaluate: [String: Double]
    }

    func makeModel(_ file: File) throws -> Sequential {
        let model = try Sequential([Input(shape: [4, 3]), LSTM(units: 5), Dense(units: 2)])
        try model.setWeights(file.startWeights.map(\.tensor))
        return model
    }

    /// Keras arguments as written by the generator: numbers, and `nesterov` as a JSON boolean.
    struct NumberOrBool: Decodable {
        let value: Double
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { value = b ? 1 : 0 } else { value = try c.decode(Double.self) }
        }
    }

    func makeOptimizer(_ kind: String, _ a: [String: NumberOrBool]) throws -> Optimizer {
        try Optimizer.make(className: kind, config: a.mapValues(\.value))
    }

    func testThreeOptimizerStepsMatchKeras() throws {
        let file = try loadFixture("training.json", as: File.self)
        XCTAssertEqual(file.steps.map(\.name), ["adam_default", "adam_lr0.01", "sgd", "sgd_momentum", "sgd_nesterov", "rmsprop",
                                                "rmsprop_momentum_centered", "adam_custom"])
        for step in file.steps {
            let model = try makeModel(file)
            model.compile(optimizer: try makeOptimizer(step.optimizer, step.arguments), loss: .mse)
            for (i, expected) in step.losses.enumerated() {
                let loss = try model.trainOnBatch(file.x.tensor, file.y.tensor)
                assertClose(loss, expected.reported, "\(step.name) loss of step \(i + 1)")
            }
            for (k, (got, want)) in zip(model.getWeights(), step.weightsAfter).enumerated() {
                assertClose(got, want.tensor, "\(step.name) weight \(k) after 3 steps")
            }
            XCTAssertEqual(model.optimizer?.iterations, 3)
        }
    }

    func testFitHistoriesMatchKeras() throws {
        let file = try loadFixture("training.json", as: File.self)
        for run in file.fits {
            let model = try makeModel(file)
            model.compile(optimizer: Adam(learningRate: 0.01), loss: .mse, metrics: try run.metrics.map { try Metric(name: $0) })
            let history = try model.fit(
                file.fitX.tensor, file.fitY.tensor, epochs: Int(run.arguments["epochs"]!),
                batchSize: run.arguments["batch_size"].map { Int($0) } ?? 32, verbose: 0,
                validationSplit: run.arguments["validation_split"] ?? 0,
                validationData: run.name == "validation_data" ? (file.fitValidationX.tensor, file.fitValidationY.tensor) : nil,
                shuffle: false)
            XCTAssertEqual(Set(history.keys), Set(run.history.keys), run.name)
            XCTAssertEqual(history.epochs, run.epochs, run.name)
            for (key, values) in run.history {
                let got = try XCTUnwrap(history[key], "\(run.name) \(key)")
                XCTAssertEqual(got.count, values.count)
                for (e, (g, w)) in zip(got, values).enumerated() { assertClose(g, w, "\(run.name) \(key) epoch \(e)") }
            }
            for (k, (got, want)) in zip(model.getWeights(), run.weightsAfter).enumerated() {
                assertClose(got, want.tensor, "\(run.name) weight \(k) after fit")
            }
            let logs = try model.evaluate(file.fitX.tensor, file.fitY.tensor, verbose: 0)
            for (key, value) in run.evaluate { assertClose(try XCTUnwrap(logs[key]), value, "\(run.name) evaluate \(key)") }
            assertClose(try model.predict(file.fitX.tensor, batchSize: 4, verbose: 0), run.predict.tensor, "\(run.name) predict")
        }
    }
}

extension ParityTrainingTests {
    /// Masking → LSTM(seq) → TimeDistributed(Dense): padded steps count zero in loss and metrics.
    /// Training metrics are compared with Keras's torch backend: under JAX, Keras 3 loses the output mask
    /// before computing training metrics (its validation metrics are masked under both backends).
    func testMaskedSequenceFitMatchesKeras() throws {
        let m = try loadFixture("training.json", as: File.self).maskedFit
        let model = try Sequential([Input(shape: [4, 3]), Masking(maskValue: 0), LSTM(units: 5, returnSequences: true),
                                    TimeDistributed(Dense(units: 2))])
        try model.setWeights(m.startWeights.map(\.tensor))
        model.compile(optimizer: Adam(learningRate: 0.01), loss: .mse, metrics: [.mae])
        let h = try model.fit(m.x.tensor, m.y.tensor, epochs: 2, batchSize: 3, verbose: 0, validationSplit: 0.3, shuffle: false)
        XCTAssertNotEqual(m.history["mae"], m.historyTorchBackend["mae"], "the fixture shows the backends differ")
        for (key, values) in m.historyTorchBackend {
            for (e, (g, w)) in zip(try XCTUnwrap(h[key], key), values).enumerated() { assertClose(g, w, "masked \(key) epoch \(e)") }
        }
        for (k, (got, want)) in zip(model.getWeights(), m.weightsAfter).enumerated() {
            assertClose(got, want.tensor, "masked fit weight \(k)")
        }
        let logs = try model.evaluate(m.x.tensor, m.y.tensor, verbose: 0)
        for (key, value) in m.evaluate { assertClose(try XCTUnwrap(logs[key]), value, "masked evaluate \(key)") }
    }
}

extension ParityTrainingTests {
    /// EarlyStopping(val_loss, patience 2, restoreBestWeights) stops at the same epoch as Keras and
    /// leaves the same (best epoch's) weights.
    func testEarlyStoppingMatchesKeras() throws {
        let file = try loadFixture("training.json", as: File.self)
        let e = file.earlyStopping
        let model = try makeModel(file)
        model.compile(optimizer: Adam(learningRate: 0.1), loss: .mse)
        let stopper = EarlyStopping(monitor: "val_loss", patience: 2, restoreBestWeights: true)
        let h = try model.fit(file.fitX.tensor, file.fitY.tensor, epochs: 30, batchSize: 4, verbose: 0, validationSplit: 0.3,
                              shuffle: false, callbacks: [stopper])
        XCTAssertEqual(h["loss"]?.count, e.history["loss"]?.count, "same number of epochs run")
        XCTAssertEqual(stopper.stoppedEpoch, e.stoppedEpoch)
        XCTAssertEqual(stopper.bestEpoch, e.bestEpoch)
        for (key, values) in e.history {
            for (i, (g, w)) in zip(try XCTUnwrap(h[key]), values).enumerated() { assertClose(g, w, "early stopping \(key) epoch \(i)") }
        }
        // Adam at lr 0.1 turns float32 rounding differences in near-zero gradients into ~1e-6 weight
        // differences; the weights of other epochs differ by ~1e-1, so this still identifies the epoch.
        for (k, (got, want)) in zip(model.getWeights(), e.weightsAfter).enumerated() {
            assertClose(got, want.tensor, rtol: 1e-4, atol: 1e-5, "restored weight \(k)")
        }
    }
}

/// Loss values, gradients and metric values against Keras (tools/fixtures/fixtures_losses.py).
final class ParityLossTests: XCTestCase {
    struct LossCase: Decodable {
        let name: String
        let loss: String
        let yTrue: FixtureTensor
        let yPred: FixtureTensor
        let value: Double
        let gradient: FixtureTensor
    }

    struct MetricCase: Decodable {
        let name: String
        let yTrue: FixtureTensor
        let yPred: FixtureTensor
        let value: Double
    }

    struct File: Decodable {
        let losses: [LossCase]
        let metrics: [MetricCase]
    }

    func testLossValuesAndGradientsMatchKeras() throws {
        let file = try loadFixture("losses.json", as: File.self)
        XCTAssertEqual(file.losses.count, 10)
        for c in file.losses {
            let loss = try Loss(name: c.loss)
            let (value, gradient) = try loss.valueAndGradient(targets: c.yTrue.tensor, predictions: c.yPred.tensor)
            assertClose(value, c.value, "\(c.name) value")
            assertClose(gradient, c.gradient.tensor, "\(c.name) gradient")
        }
    }

    func testMetricValuesMatchKeras() throws {
        let file = try loadFixture("losses.json", as: File.self)
        for c in file.metrics {
            // "accuracy" picks the variant from the shapes as Keras does (binary only for a last axis of 1).
            let named = try Metric(name: c.name)
            assertClose(try named.value(targets: c.yTrue.tensor, predictions: c.yPred.tensor), c.value, c.name)
            if c.name.hasSuffix("accuracy") && !(c.name == "binary_accuracy" && c.yPred.shape.last != 1) {
                assertClose(try Metric.accuracy.value(targets: c.yTrue.tensor, predictions: c.yPred.tensor), c.value,
                            "accuracy resolved for \(c.name)")
            }
        }
    }
}
