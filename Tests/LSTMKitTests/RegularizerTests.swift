import Foundation
import XCTest
@testable import LSTMKit

/// Weight regularizers (`kernelRegularizer:` etc.): the penalty in the reported loss and in the gradients,
/// checked against real Keras 3 (tools/fixtures/fixtures_regularizers.py), plus names, configs and errors.
final class RegularizerTests: XCTestCase {
    struct Fit: Decodable {
        let history: [String: [Double]]
        let weightsAfter: [FixtureTensor]
    }

    struct File: Decodable {
        let startWeights: [FixtureTensor]
        let x: FixtureTensor
        let y: FixtureTensor
        let penaltyBefore: Double
        let losses: [Double]
        let weightsAfter: [FixtureTensor]
        let evaluate: [String: Double]
        let fit: Fit
        let lstmRegularizers: [String: ConfigValue]
    }

    override func setUp() { LSTMKit.clearSession() }

    func makeModel(_ file: File) throws -> Sequential {
        let model = try Sequential([
            Input(shape: [4, 3]),
            LSTM(units: 5, kernelRegularizer: .l2(0.01), recurrentRegularizer: .l1(0.005), biasRegularizer: .l1l2(l1: 0.001, l2: 0.002)),
            Dense(units: 2, kernelRegularizer: .l1l2(l1: 0.01, l2: 0.02), biasRegularizer: .l2(0.05)),
        ])
        try model.setWeights(file.startWeights.map(\.tensor))
        return model
    }

    func testPenaltyLossesAndAdamStepsMatchKeras() throws {
        let file = try loadFixture("regularizers.json", as: File.self)
        let model = try makeModel(file)
        assertClose(model.regularizationLoss(), file.penaltyBefore, "sum(model.losses) on the start weights")
        model.compile(optimizer: Adam(learningRate: 0.01), loss: .mse)
        for (i, expected) in file.losses.enumerated() {
            assertClose(try model.trainOnBatch(file.x.tensor, file.y.tensor), expected, "train_on_batch \(i + 1) loss (with penalties)")
        }
        for (i, (g, e)) in zip(model.getWeights(), file.weightsAfter).enumerated() {
            assertClose(g, e.tensor, "weight \(i) after 3 Adam steps")
        }
        let logs = try model.evaluate(file.x.tensor, file.y.tensor, verbose: 0)
        assertClose(logs.loss, try XCTUnwrap(file.evaluate["loss"]), "evaluate loss (with penalties)")
    }

    func testFitHistoryMatchesKeras() throws {
        let file = try loadFixture("regularizers.json", as: File.self)
        let model = try makeModel(file)
        model.compile(optimizer: Adam(learningRate: 0.01), loss: .mse, metrics: [.mae])
        let history = try model.fit(file.x.tensor, file.y.tensor, epochs: 2, batchSize: 4, verbose: 0,
                                    validationSplit: 0.34, shuffle: false)
        XCTAssertEqual(Set(history.keys), Set(file.fit.history.keys))
        for (key, values) in file.fit.history {
            for (epoch, v) in values.enumerated() { assertClose(history[key]![epoch], v, "\(key) epoch \(epoch)") }
        }
        for (i, (g, e)) in zip(model.getWeights(), file.fit.weightsAfter).enumerated() { assertClose(g, e.tensor, "weight \(i) after fit") }
    }

    func testKerasSerialisedRegularizersAreRead() throws {
        let file = try loadFixture("regularizers.json", as: File.self)
        var c = LSTM(units: 5).config
        for (k, v) in file.lstmRegularizers { c.values[k] = v }
        let lstm = try XCTUnwrap(try LayerRegistry.makeLayer(c) as? LSTM)
        XCTAssertEqual(lstm.kernelRegularizer, .l2(0.01))
        XCTAssertEqual(lstm.recurrentRegularizer, .l1(0.005))
        XCTAssertEqual(lstm.biasRegularizer, .l1l2(l1: 0.001, l2: 0.002))
        let json = try JSONEncoder().encode(lstm.config)
        XCTAssertEqual(try LayerRegistry.makeLayer(try JSONDecoder().decode(LayerConfig.self, from: json)).config, lstm.config)
        XCTAssertEqual(lstm.config.values["kernel_regularizer"], .layer(LayerConfig(className: "L2", values: ["l2": .double(Double(Float(0.01)))])))
        XCTAssertEqual(LSTM(units: 1).config.values["kernel_regularizer"], .null)
        for l in [GRU(units: 2, recurrentRegularizer: .l1(), biasRegularizer: .l2(0.3)) as Layer,
                  SimpleRNN(units: 2, kernelRegularizer: .l1l2(l1: 0.1)), Dense(units: 2, biasRegularizer: .l1(0.2))] {
            XCTAssertEqual(try LayerRegistry.makeLayer(l.config).config, l.config, l.className)
        }
    }

    func testDefinitionsNamesAndErrors() throws {
        let w = try Tensor(shape: [3], scalars: [1, 0, -2])
        XCTAssertEqual(Regularizer.l1(0.5).penalty(w), 1.5)
        XCTAssertEqual(Regularizer.l2(0.5).penalty(w), 2.5, "x·Σw², no ½")
        XCTAssertEqual(Regularizer.l1l2(l1: 1, l2: 1).penalty(w), 8)
        var g = try Tensor.zeros([3])
        Regularizer.l1l2(l1: 0.5, l2: 0.25).accumulateGradient(w, into: &g)
        XCTAssertEqual(g.scalars, [0.5 + 0.5, 0.5, -0.5 - 1], "l1·sign(w) + 2·l2·w; at 0 the slope is +l1, as JAX differentiates |w|")

        XCTAssertEqual(try Regularizer(name: "l1"), .l1(0.01))
        XCTAssertEqual(try Regularizer(name: "L2"), .l2(0.01))
        XCTAssertEqual(try Regularizer(name: "l1l2"), .l1l2(l1: 0, l2: 0), "Keras 3's L1L2() defaults")
        XCTAssertThrowsError(try Regularizer(name: "l1_l2")) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "unknown regularizer 'l1_l2'; expected one of 'l1', 'l2', 'l1l2' or {class_name: L1/L2/L1L2, config}")
        }
        var c = Dense(units: 1).config
        c.values["kernel_regularizer"] = .string("l3")
        XCTAssertThrowsError(try LayerRegistry.makeLayer(c))
        c.values["kernel_regularizer"] = .layer(LayerConfig(className: "Orthogonal", values: [:]))
        XCTAssertThrowsError(try LayerRegistry.makeLayer(c)) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "unknown regularizer class 'Orthogonal' in 'kernel_regularizer'; expected L1, L2 or L1L2")
        }
        let bad = LSTM(units: 2, biasRegularizer: .l2(-1), name: "enc")
        XCTAssertThrowsError(try bad.build(inputShape: [3, 1])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "LSTM 'enc' biasRegularizer: L2 expects finite factors >= 0, got l1 0.0, l2 -1.0")
        }
    }

    /// Frozen layers' penalties are not part of the loss (Keras collects them from trainable weights only),
    /// and a regularized wrapped layer (Bidirectional) penalises both directions.
    func testOnlyTrainableWeightsAndWrappedLayers() throws {
        LSTMKit.setRandomSeed(3)
        let dense = Dense(units: 2, kernelRegularizer: .l2(1), inputShape: [3])
        let model = try Sequential([dense])
        let kernel = dense.getWeights()[0]
        XCTAssertEqual(model.regularizationLoss(), Regularizer.l2(1).penalty(kernel), accuracy: 1e-6)
        dense.trainable = false
        XCTAssertEqual(model.regularizationLoss(), 0)

        let bi = Bidirectional(GRU(units: 2, kernelRegularizer: .l1(0.1)), inputShape: [4, 3])
        let m2 = try Sequential([bi])
        let expected = Regularizer.l1(0.1).penalty(bi.forwardLayer.getWeights()[0]) + Regularizer.l1(0.1).penalty(bi.backwardLayer.getWeights()[0])
        XCTAssertEqual(m2.regularizationLoss(), expected, accuracy: 1e-6)
    }
}
