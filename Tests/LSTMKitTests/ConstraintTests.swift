import Foundation
import XCTest
@testable import LSTMKit

/// Weight constraints (`kernelConstraint:` etc.), applied after every optimizer step: three SGD steps
/// against real Keras 3 (tools/fixtures/fixtures_constraints.py), the definitions, names, configs and errors.
final class ConstraintTests: XCTestCase {
    struct File: Decodable {
        let startWeights: [FixtureTensor]
        let x: FixtureTensor
        let y: FixtureTensor
        let losses: [Double]
        let weightsAfter: [FixtureTensor]
    }

    override func setUp() { LSTMKit.clearSession() }

    func testConstrainedStepsMatchKeras() throws {
        let file = try loadFixture("constraints.json", as: File.self)
        let model = try Sequential([
            Input(shape: [4, 3]),
            LSTM(units: 5, kernelConstraint: .maxNorm(maxValue: 0.5), recurrentConstraint: .unitNorm(), biasConstraint: .nonNeg),
            Dense(units: 2, kernelConstraint: .minMaxNorm(minValue: 0.2, maxValue: 0.6, rate: 0.5, axis: 1), biasConstraint: .maxNorm(maxValue: 0.1)),
        ])
        try model.setWeights(file.startWeights.map(\.tensor))
        model.compile(optimizer: SGD(learningRate: 0.1), loss: .mse)
        for (i, expected) in file.losses.enumerated() {
            assertClose(try model.trainOnBatch(file.x.tensor, file.y.tensor), expected, "train_on_batch \(i + 1) loss")
        }
        for (i, (g, e)) in zip(model.getWeights(), file.weightsAfter).enumerated() {
            assertClose(g, e.tensor, "weight \(i) after 3 constrained SGD steps")
        }
    }

    func testDefinitions() throws {
        // Columns (axis 0) of [[3, 0], [4, 1]]: norms 5 and 1.
        let w = try Tensor(shape: [2, 2], scalars: [3, 0, 4, 1])
        let capped = Constraint.maxNorm(maxValue: 2).apply(w)
        XCTAssertEqual(capped.scalars[0], 3 * 2 / (5 + 1e-7), accuracy: 1e-6)
        XCTAssertEqual(capped.scalars[3], 1 / (1 + 1e-7), accuracy: 1e-6, "a column inside the limit stays")
        let unit = Constraint.unitNorm(axis: 1).apply(w)   // rows: norms 3 and √17
        XCTAssertEqual(unit.scalars[0], 1, accuracy: 1e-6)
        XCTAssertEqual(unit.scalars[2], Float(4 / 17.0.squareRoot()), accuracy: 1e-6)
        let mm = Constraint.minMaxNorm(minValue: 2, maxValue: 4, rate: 0.5).apply(w)
        XCTAssertEqual(mm.scalars[1], 0, accuracy: 1e-6)
        XCTAssertEqual(mm.scalars[3], 1 * (0.5 * 2 + 0.5 * 1) / 1, accuracy: 1e-5, "norm 1 moves half way to 2")
        XCTAssertEqual(Constraint.nonNeg.apply(try Tensor(shape: [3], scalars: [-1, 0, 2])).scalars, [0, 0, 2])
        let v = Constraint.maxNorm(maxValue: 1, axis: -1).apply(try Tensor(shape: [2], scalars: [3, 4]))
        XCTAssertEqual(v.scalars[0], 0.6, accuracy: 1e-6)
    }

    func testNamesConfigsAndErrors() throws {
        XCTAssertEqual(try Constraint(name: "max_norm"), .maxNorm(maxValue: 2, axis: 0))
        XCTAssertEqual(try Constraint(name: "NonNeg"), .nonNeg)
        XCTAssertEqual(try Constraint(name: "unit_norm"), .unitNorm(axis: 0))
        XCTAssertEqual(try Constraint(name: "min_max_norm"), .minMaxNorm(minValue: 0, maxValue: 1, rate: 1, axis: 0))
        XCTAssertThrowsError(try Constraint(name: "clip")) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "unknown constraint 'clip'; expected one of 'max_norm', 'non_neg', 'unit_norm', 'min_max_norm'")
        }
        for l in [LSTM(units: 2, kernelConstraint: .maxNorm(maxValue: 3), biasConstraint: .nonNeg) as Layer,
                  GRU(units: 2, recurrentConstraint: .unitNorm(axis: 1)),
                  SimpleRNN(units: 2, kernelConstraint: .minMaxNorm(minValue: 0.1, maxValue: 2, rate: 0.3, axis: 0)),
                  Dense(units: 2, kernelConstraint: .nonNeg, biasConstraint: .maxNorm())] {
            let json = try JSONEncoder().encode(l.config)
            XCTAssertEqual(try LayerRegistry.makeLayer(try JSONDecoder().decode(LayerConfig.self, from: json)).config, l.config, l.className)
        }
        let keras = """
        {"class_name": "Dense", "config": {"units": 2,
          "kernel_constraint": {"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}, "registered_name": null},
          "bias_constraint": {"module": "keras.constraints", "class_name": "NonNeg", "config": {}, "registered_name": null}}}
        """
        let dense = try XCTUnwrap(try LayerRegistry.makeLayer(try JSONDecoder().decode(LayerConfig.self, from: Data(keras.utf8))) as? Dense)
        XCTAssertEqual(dense.kernelConstraint, .maxNorm(maxValue: 3, axis: 0))
        XCTAssertEqual(dense.biasConstraint, .nonNeg)
        let badAxis = Dense(units: 2, biasConstraint: .unitNorm(axis: 1), name: "out")
        XCTAssertThrowsError(try badAxis.build(inputShape: [3])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "Dense 'out' biasConstraint: UnitNorm axis must be in -1..<1 for a weight of shape (2,), got 1")
        }
        let badRange = LSTM(units: 2, kernelConstraint: .minMaxNorm(minValue: 2, maxValue: 1), name: "enc")
        XCTAssertThrowsError(try badRange.build(inputShape: [3, 1])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message,
                           "LSTM 'enc' kernelConstraint: MinMaxNorm expects 0 <= min_value <= max_value and rate in [0, 1], got min_value 2.0, max_value 1.0, rate 1.0")
        }
    }
}
