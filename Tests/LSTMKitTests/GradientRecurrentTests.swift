import XCTest
@testable import LSTMKit

/// Finite-difference checks for GRU, SimpleRNN, Bidirectional and stateful recurrent layers.
final class GradientRecurrentTests: XCTestCase {
    let checker = GradientChecker()

    override func setUp() { LSTMKit.setRandomSeed(11) }

    private func model(_ layer: Layer, inputShape: [Int?], masking: Bool = false) throws -> Model {
        let x = Input(shape: inputShape)
        let y = try layer.callAll([masking ? try Masking()(x) : x.symbolicTensor])
        return try Model(inputs: x, outputs: y)
    }

    private func padded(_ b: Int, _ t: Int, _ f: Int) -> Tensor {
        var data = try! Tensor.randomUniform([b, t, f], low: 0.2, high: 1)
        for (i, s) in [(0, 0), (1 % b, t / 2), (b - 1, t - 1)] { for k in 0..<f { data.scalars[(i * t + s) * f + k] = 0 } }
        return data
    }

    func testGRUResetAfter() throws {
        try checker.check(try model(GRU(units: 3, returnSequences: true, returnState: true), inputShape: [4, 2]),
                          [try Tensor.randomUniform([2, 4, 2], low: -1, high: 1)])
    }

    func testGRUResetBefore() throws {
        try checker.check(try model(GRU(units: 3, resetAfter: false, returnSequences: true), inputShape: [4, 2]),
                          [try Tensor.randomUniform([2, 4, 2], low: -1, high: 1)])
    }

    func testGRUOptionsMaskDropoutBackwards() throws {
        try checker.check(try model(GRU(units: 3, returnSequences: true, goBackwards: true), inputShape: [5, 2], masking: true),
                          [padded(3, 5, 2)], checkInputs: false)
        try checker.check(try model(GRU(units: 3, returnState: true, dropout: 0.25, recurrentDropout: 0.25), inputShape: [4, 3]),
                          [try Tensor.randomUniform([2, 4, 3], low: -1, high: 1)], training: true, seed: 4)
        try checker.check(try model(GRU(units: 3, resetAfter: false, recurrentDropout: 0.3), inputShape: [4, 2]),
                          [try Tensor.randomUniform([2, 4, 2], low: -1, high: 1)], training: true, seed: 8)
        try checker.check(try model(GRU(units: 3, resetAfter: false, returnSequences: true, dropout: 0.3, recurrentDropout: 0.3), inputShape: [4, 2]),
                          [try Tensor.randomUniform([2, 4, 2], low: -1, high: 1)], training: true, seed: 13)
        try checker.check(try model(GRU(units: 3, returnSequences: true, dropout: 0.3), inputShape: [4, 2]),
                          [try Tensor.randomUniform([2, 4, 2], low: -1, high: 1)], training: true, seed: 14)
        XCTAssertEqual(GRU(units: 2, recurrentDropout: 0.1).dropoutMaskGroups, 3)
    }

    func testSimpleRNN() throws {
        try checker.check(try model(SimpleRNN(units: 3, returnSequences: true, returnState: true), inputShape: [4, 2]),
                          [try Tensor.randomUniform([2, 4, 2], low: -1, high: 1)])
        try checker.check(try model(SimpleRNN(units: 3, goBackwards: true), inputShape: [5, 2], masking: true),
                          [padded(3, 5, 2)], checkInputs: false)
        try checker.check(try model(SimpleRNN(units: 3, activation: .relu, dropout: 0.2, recurrentDropout: 0.2), inputShape: [4, 2]),
                          [try Tensor.randomUniform([2, 4, 2], low: 0.1, high: 1)], training: true, seed: 9)
    }

    func testBidirectionalConcatAndSum() throws {
        try checker.check(try model(Bidirectional(LSTM(units: 2, returnSequences: true)), inputShape: [4, 2]),
                          [try Tensor.randomUniform([2, 4, 2], low: -1, high: 1)])
        try checker.check(try model(Bidirectional(GRU(units: 2, returnState: true), mergeMode: .sum), inputShape: [4, 2]),
                          [try Tensor.randomUniform([2, 4, 2], low: -1, high: 1)])
        try checker.check(try model(Bidirectional(SimpleRNN(units: 2, returnSequences: true), mergeMode: .mul), inputShape: [3, 2], masking: true),
                          [padded(3, 3, 2)], checkInputs: false)
    }

    /// Initial states (gradients flow into them) and bias-free variants of GRU and SimpleRNN.
    func testInitialStatesAndNoBias() throws {
        for layer in [GRU(units: 2, useBias: false, returnSequences: true, returnState: true) as Recurrent,
                      GRU(units: 2, resetAfter: false, returnState: true),
                      SimpleRNN(units: 2, useBias: false, returnSequences: true, returnState: true)] {
            let x = Input(shape: [3, 2]), h = Input(shape: [2])
            let m = try Model(inputs: [x, h], outputs: layer.callAll(x, initialState: [h]))
            try checker.check(m, [try Tensor.randomUniform([2, 3, 2], low: -1, high: 1), try Tensor.randomUniform([2, 2], low: -1, high: 1)])
        }
    }

    /// Bidirectional with initial states for both directions (forward h, c then backward h, c), merge `ave`.
    func testBidirectionalInitialStatesAverage() throws {
        let x = Input(shape: [3, 2])
        let states = (0..<4).map { _ in Input(shape: [2]) }
        let outs = try Bidirectional(LSTM(units: 2, returnSequences: true, returnState: true), mergeMode: .ave).callAll([x] + states)
        XCTAssertEqual(outs.map(\.shape), [[nil, 3, 2], [nil, 2], [nil, 2], [nil, 2], [nil, 2]])
        let m = try Model(inputs: [x] + states, outputs: outs)
        try checker.check(m, [try Tensor.randomUniform([2, 3, 2], low: -1, high: 1)] + (0..<4).map { _ in try Tensor.randomUniform([2, 2], low: -1, high: 1) })
    }

    /// Batches large enough for the row-parallel step loops (B·3u and B·u ≥ Parallel.threshold).
    func testLargeBatchesUseParallelRows() throws {
        XCTAssertGreaterThanOrEqual(64 * 3 * 48, Parallel.threshold)
        XCTAssertGreaterThanOrEqual(64 * 128, Parallel.threshold)
        var data = try Tensor.randomUniform([64, 3, 2], low: 0.2, high: 1)
        for k in 0..<2 { data.scalars[(5 * 3 + 1) * 2 + k] = 0; data.scalars[(40 * 3 + 0) * 2 + k] = 0 }
        try checker.check(try model(GRU(units: 48, returnSequences: true, returnState: true), inputShape: [3, 2], masking: true),
                          [data], checkInputs: false)
        try checker.check(try model(GRU(units: 48, resetAfter: false, returnSequences: true, recurrentDropout: 0.2), inputShape: [3, 2]),
                          [data], training: true, seed: 21)
        try checker.check(try model(SimpleRNN(units: 128, returnSequences: true, returnState: true), inputShape: [3, 2], masking: true),
                          [data], checkInputs: false)
    }

    func testLSTMMaskedWithGoBackwards() throws {
        try checker.check(try model(LSTM(units: 3, returnSequences: true, returnState: true, goBackwards: true), inputShape: [5, 2], masking: true),
                          [padded(3, 5, 2)], checkInputs: false)
    }

    /// A stateful layer's second call starts from the first call's final state (gradients stop there).
    func testStatefulLSTMCarriesStates() throws {
        let lstm = LSTM(units: 3, stateful: true)
        let x = try Tensor.randomUniform([2, 4, 2], low: -1, high: 1)
        let first = try lstm(x)
        let second = try lstm(x)
        XCTAssertFalse(first.isAlmostEqual(to: second), "the second call must start from carried states")
        lstm.resetStates()
        XCTAssertEqual(try lstm(x), first)
        XCTAssertThrowsError(try lstm(try Tensor.zeros([3, 4, 2]))) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message,
                           "stateful LSTM 'lstm' keeps states for batch size 2, got a batch of 3; call resetStates() to change it".replacingOccurrences(of: "'lstm'", with: "'\(lstm.name)'"))
        }
    }
}
