import XCTest
@testable import LSTMKit

/// Finite-difference checks of every layer's backward pass, w.r.t. inputs and every weight.
final class GradientLayerTests: XCTestCase {
    let checker = GradientChecker()

    override func setUp() { LSTMKit.setRandomSeed(7) }

    private func model(_ layer: Layer, inputShape: [Int?]) throws -> Model {
        let x = Input(shape: inputShape)
        return try Model(inputs: x, outputs: layer.callAll([x]))
    }

    func testDenseEveryActivation() throws {
        for act in Activation.allCases {
            let m = try model(Dense(units: 4, activation: act), inputShape: [3])
            try checker.check(m, [try Tensor.randomUniform([5, 3], low: -1, high: 1)])
        }
    }

    func testDenseOnSequencesAndWithoutBias() throws {
        try checker.check(try model(Dense(units: 3, activation: .tanh), inputShape: [4, 2]),
                          [try Tensor.randomUniform([2, 4, 2], low: -1, high: 1)])
        try checker.check(try model(Dense(units: 3, useBias: false), inputShape: [2]),
                          [try Tensor.randomUniform([3, 2], low: -1, high: 1)])
    }

    func testLSTMLastOutput() throws {
        try checker.check(try model(LSTM(units: 3), inputShape: [4, 2]), [try Tensor.randomUniform([2, 4, 2], low: -1, high: 1)])
    }

    func testLSTMSequencesAndStates() throws {
        try checker.check(try model(LSTM(units: 3, returnSequences: true, returnState: true), inputShape: [5, 2]),
                          [try Tensor.randomUniform([2, 5, 2], low: -1, high: 1)])
    }

    /// A batch large enough (B·4u ≥ Parallel.threshold) for the row-parallel elementwise path.
    func testLSTMLargeBatchUsesParallelRows() throws {
        XCTAssertGreaterThanOrEqual(64 * 4 * 32, Parallel.threshold)
        let m = try model(LSTM(units: 32, returnSequences: true, returnState: true), inputShape: [3, 2])
        var data = try Tensor.randomUniform([64, 3, 2], low: -1, high: 1)
        try checker.check(m, [data])
        // Row results do not depend on the rest of the batch (no cross-row interference between threads);
        // a batch of one takes the sgemv path, so agreement is to rounding, not bitwise.
        let full = try m.callAll([data])[0]
        data = try data[5..<6]
        let alone = try m.callAll([data])[0]
        XCTAssertTrue(alone.isAlmostEqual(to: try full[5..<6], rtol: 1e-5, atol: 1e-7))
    }

    func testLSTMGoBackwards() throws {
        try checker.check(try model(LSTM(units: 3, returnSequences: true, goBackwards: true), inputShape: [4, 2]),
                          [try Tensor.randomUniform([2, 4, 2], low: -1, high: 1)])
    }

    func testLSTMReluActivationHardSigmoidGatesNoBias() throws {
        try checker.check(try model(LSTM(units: 3, activation: .relu, returnSequences: true), inputShape: [4, 2]),
                          [try Tensor.randomUniform([2, 4, 2], low: 0.1, high: 1)])
        try checker.check(try model(LSTM(units: 2, recurrentActivation: .hardSigmoid, useBias: false), inputShape: [3, 2]),
                          [try Tensor.randomUniform([2, 3, 2], low: -1, high: 1)])
    }

    func testLSTMInitialState() throws {
        let x = Input(shape: [4, 2]), h = Input(shape: [3]), c = Input(shape: [3])
        let outs = try LSTM(units: 3, returnSequences: true, returnState: true).callAll(x, initialState: [h, c])
        let m = try Model(inputs: [x, h, c], outputs: outs)
        try checker.check(m, [try Tensor.randomUniform([2, 4, 2], low: -1, high: 1),
                              try Tensor.randomUniform([2, 3], low: -1, high: 1), try Tensor.randomUniform([2, 3], low: -1, high: 1)])
    }

    func testLSTMWithMasking() throws {
        let x = Input(shape: [5, 2])
        let masked = try Masking(maskValue: 0)(x)
        let outs = try LSTM(units: 3, returnSequences: true, returnState: true).callAll([masked])
        let m = try Model(inputs: x, outputs: outs)
        var data = try Tensor.randomUniform([3, 5, 2], low: 0.2, high: 1)
        // Row 0: padded at the front; row 1: a gap in the middle; row 2: padded at the end.
        for (b, t) in [(0, 0), (0, 1), (1, 2), (2, 3), (2, 4)] { data.scalars[(b * 5 + t) * 2] = 0; data.scalars[(b * 5 + t) * 2 + 1] = 0 }
        try checker.check(m, [data], checkInputs: false)
        // Inputs are checked away from the padded entries (perturbing a padded 0 unmasks it).
        let f = try m.forwardWithMasks([data], training: false)
        XCTAssertEqual(f.masks[0]?.scalars, [0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0])
        // A masked step repeats the previous output; before the first real step the output is zero.
        let seq = f.outputs[0]
        XCTAssertEqual(Array(seq.scalars[0..<6]), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(seq.scalars[15 + 6 ..< 15 + 9]), Array(seq.scalars[15 + 3 ..< 15 + 6]))
        XCTAssertEqual(Array(f.outputs[1].scalars[6..<9]), Array(seq.scalars[30 + 6 ..< 30 + 9]))
    }

    /// With recurrentDropout each gate gets its own masks (Keras 3); with dropout alone one mask is shared.
    func testLSTMDropoutInTraining() throws {
        try checker.check(try model(LSTM(units: 3, returnSequences: true, dropout: 0.3, recurrentDropout: 0.3), inputShape: [4, 3]),
                          [try Tensor.randomUniform([2, 4, 3], low: -1, high: 1)], training: true, seed: 3)
        try checker.check(try model(LSTM(units: 3, returnState: true, dropout: 0.4), inputShape: [4, 3]),
                          [try Tensor.randomUniform([2, 4, 3], low: -1, high: 1)], training: true, seed: 6)
        try checker.check(try model(LSTM(units: 3, returnSequences: true, recurrentDropout: 0.4), inputShape: [4, 3]),
                          [try Tensor.randomUniform([2, 4, 3], low: -1, high: 1)], training: true, seed: 12)
        XCTAssertEqual(LSTM(units: 2, recurrentDropout: 0.1).dropoutMaskGroups, 4)
        XCTAssertEqual(LSTM(units: 2, dropout: 0.1).dropoutMaskGroups, 1)
        // Dropout is off at inference: outputs equal the dropout-free layer's.
        let a = LSTM(units: 3, dropout: 0.5, recurrentDropout: 0.5), b = LSTM(units: 3)
        let x = try Tensor.randomUniform([2, 4, 3], low: -1, high: 1)
        _ = try a(x); _ = try b(x)
        try b.setWeights(a.getWeights())
        XCTAssertEqual(try a(x), try b(x))
        XCTAssertNotEqual(try a(x, training: true), try b(x))
    }

    func testRepeatVectorTimeDistributedReshapeFlatten() throws {
        let x = Input(shape: [3])
        let r = try RepeatVector(4)(x)
        let td = try TimeDistributed(Dense(units: 2, activation: .tanh))(r)
        let f = try Flatten()(td)
        let y = try Reshape([2, -1])(f)
        try checker.check(try Model(inputs: x, outputs: y), [try Tensor.randomUniform([2, 3], low: -1, high: 1)])
    }

    /// TimeDistributed around a recurrent layer: (B, T1, T2, F) → (B, T1, u).
    func testTimeDistributedLSTMOnRank4Input() throws {
        let x = Input(shape: [2, 3, 2])
        let y = try TimeDistributed(LSTM(units: 2))(x)
        XCTAssertEqual(y.shape, [nil, 2, 2])
        try checker.check(try Model(inputs: x, outputs: y), [try Tensor.randomUniform([2, 2, 3, 2], low: -1, high: 1)])
    }

    /// A mask from Masking passes through Dense and TimeDistributed to the model output.
    func testMaskPassesThroughDenseAndTimeDistributed() throws {
        let x = Input(shape: [3, 2])
        let h = try LSTM(units: 2, returnSequences: true)(Masking()(x))
        let y = try TimeDistributed(Dense(units: 1))(Dense(units: 2, activation: .tanh)(h))
        let m = try Model(inputs: x, outputs: y)
        var data = try Tensor.randomUniform([2, 3, 2], low: 0.2, high: 1)
        data.scalars[4] = 0; data.scalars[5] = 0
        XCTAssertEqual(try m.forwardWithMasks([data], training: false).masks[0]?.scalars, [1, 1, 0, 1, 1, 1])
        try checker.check(m, [data], checkInputs: false)
    }

    func testDropoutLayerInTraining() throws {
        try checker.check(try model(Dropout(0.4), inputShape: [6]), [try Tensor.randomUniform([3, 6], low: -1, high: 1)],
                          training: true, seed: 5)
    }

    /// A layer used twice adds both uses' gradients: the first product overwrites the cleared gradient
    /// (`Parameter.accumulateProduct`), the second must add to it.
    func testLayersAppliedTwiceAccumulateBothUses() throws {
        let x = Input(shape: [3, 4])
        let lstm = LSTM(units: 4, returnSequences: true, name: "twice_lstm"), dense = Dense(units: 4, name: "twice_dense")
        let y = try dense(dense(lstm(lstm(x))))
        let m = try Model(inputs: x, outputs: y)
        try checker.check(m, [try Tensor.randomUniform([2, 3, 4], low: -1, high: 1)])
    }

    func testAutoencoderWithSharedEncoder() throws {
        let x = Input(shape: [3, 2])
        let encoder = LSTM(units: 4, activation: .relu)
        let encoded = try encoder(x)
        let decoded = try TimeDistributed(Dense(units: 2))(LSTM(units: 4, activation: .relu, returnSequences: true)(RepeatVector(3)(encoded)))
        let auto = try Model(inputs: x, outputs: [decoded, encoded])
        try checker.check(auto, [try Tensor.randomUniform([2, 3, 2], low: 0.1, high: 1)])
    }
}
