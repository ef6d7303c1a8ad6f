import XCTest
import Foundation
@testable import LSTMKit

/// Masked and bidirectional recurrent layers against numbers printed by real Keras 3.15.1 (JAX backend).
///
/// Weights and inputs are deterministic: `fill(shape, scale, phase)[i] = scale·sin(0.7·i + phase)`;
/// weight array k of a layer (Keras `get_weights()` order) uses scale 0.5 and phase 1 + k. The input
/// (2, 4, 2) uses scale 1, phase 0.3, with padded steps (row 0: t = 3; row 1: t = 0 and t = 2) zeroed
/// and a `Masking()` layer in front. The generating script, run with Keras:
/// ```python
/// inp = keras.Input((4, 2)); layer = <case>; m = keras.Model(inp, layer(layers.Masking()(inp)))
/// layer.set_weights([fill(w.shape, 0.5, 1.0 + k) for k, w in enumerate(layer.get_weights())])
/// print(m.predict(x))
/// ```
final class ReferenceKerasMaskingTests: XCTestCase {
    static func fill(_ shape: [Int], scale: Double, phase: Double) -> Tensor {
        let n = shape.reduce(1, *)
        return try! Tensor(shape: shape, scalars: (0..<n).map { Float(scale * sin(Double($0) * 0.7 + phase)) })
    }

    static var input: Tensor {
        var x = fill([2, 4, 2], scale: 1, phase: 0.3)
        for (b, t) in [(0, 3), (1, 0), (1, 2)] { for k in 0..<2 { x.scalars[(b * 4 + t) * 2 + k] = 0 } }
        return x
    }

    private func check(_ layer: Layer, masking: Bool = true, _ expected: [[Double]], file: StaticString = #filePath, line: UInt = #line) throws {
        let x = Input(shape: [4, 2])
        let h: SymbolicTensorConvertible = masking ? try Masking()(x) : x
        let model = try Model(inputs: x, outputs: layer.callAll([h]))
        try layer.setWeights(layer.getWeights().enumerated().map { k, w in Self.fill(w.shape, scale: 0.5, phase: 1.0 + Double(k)) })
        let ys = try model.callAll([Self.input])
        XCTAssertEqual(ys.count, expected.count, file: file, line: line)
        for (i, (y, e)) in zip(ys, expected).enumerated() {
            XCTAssertEqual(y.count, e.count, "output \(i)", file: file, line: line)
            var worst = 0.0
            for (a, b) in zip(y.scalars, e) { worst = max(worst, abs(Double(a) - b)) }
            XCTAssertLessThan(worst, 2e-6, "output \(i) differs from Keras by \(worst): \(y)", file: file, line: line)
        }
    }

    /// Bidirectional with returnSequences: padded steps are zeros in both directions.
    func testBidirectionalLSTMSequencesMasked() throws {
        try check(Bidirectional(LSTM(units: 2, returnSequences: true)), [[
            -0.0805997, -0.0838211, 0.141293, 0.1135902, -0.1440683, -0.1751606, 0.139543, 0.0721608,
            -0.1096799, 0.0047228, 0.0558785, -0.0326066, 0, 0, 0, 0,
            0, 0, 0, 0, -0.1076431, -0.1611634, 0.1168923, 0.0002608,
            0, 0, 0, 0, -0.0315952, 0.0429913, 0.0291135, -0.0877259]])
    }

    func testGRUResetBeforeGoBackwardsMasked() throws {
        try check(GRU(units: 3, resetAfter: false, returnSequences: true, goBackwards: true), [[
            0, 0, 0, 0.3090154, 0.3407664, 0.1762117, 0.1546872, 0.3126276, 0.4065449, 0.0807788, 0.3289067, 0.5083202,
            0.5191326, 0.4898554, 0.0797842, 0.5191326, 0.4898554, 0.0797842, 0.3289476, 0.4157848, 0.3708704, 0.3289476, 0.4157848, 0.3708704]])
    }

    func testSimpleRNNMaskedWithState() throws {
        try check(SimpleRNN(units: 3, returnSequences: true, returnState: true), [[
            0.2092532, -0.3590718, -0.6568632, 0.6476079, 0.0536709, -0.5973324, 0.3562856, -0.1176739, -0.503114, 0.3562856, -0.1176739, -0.503114,
            0, 0, 0, 0.4210256, -0.1448905, -0.5863894, 0.4210256, -0.1448905, -0.5863894, 0.0621568, -0.2749499, -0.4573303],
            [0.3562856, -0.1176739, -0.503114, 0.0621568, -0.2749499, -0.4573303]])
    }

    /// Unmasked (the zeroed rows are real data here); states: forward h, backward h.
    func testBidirectionalGRUAverageWithStates() throws {
        try check(Bidirectional(GRU(units: 2, returnState: true), mergeMode: .ave), masking: false, [
            [-0.0457589, 0.0575511, 0.0077548, 0.1123376],
            [-0.2890435, -0.1127886, -0.3280439, -0.05957],
            [0.1975257, 0.2278907, 0.3435536, 0.2842452]])
    }

    func testLSTMGoBackwardsMaskedWithStates() throws {
        try check(LSTM(units: 2, returnSequences: true, returnState: true, goBackwards: true), [[
            0, 0, -0.0813433, 0.0693895, -0.1438262, -0.1400774, -0.1339219, -0.1164272,
            -0.0167557, 0.1223135, -0.0167557, 0.1223135, -0.1185375, -0.1401791, -0.1185375, -0.1401791],
            [-0.1339219, -0.1164272, -0.1185375, -0.1401791], [-0.2884747, -0.2325089, -0.3262068, -0.3043958]])
    }
}
