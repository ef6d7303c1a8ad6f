import XCTest
@testable import LSTMKit

/// Keras's own constant-weight reference values (KERAS_SEMANTICS.md).
final class ReferenceTests: XCTestCase {
    /// LSTM(3) with kernel 0.01, recurrent 0.02, bias 0.03 (forget slice 1.0) on arange(72).reshape(3,6,4).
    func testLSTMConstantWeightReference() throws {
        let lstm = LSTM(units: 3)
        let x = try Tensor.arange([3, 6, 4])
        _ = try lstm(x)
        var bias = try Tensor(repeating: 0.03, shape: [12])
        for k in 3..<6 { bias.scalars[k] = 1 }
        try lstm.setWeights([try Tensor(repeating: 0.01, shape: [4, 12]), try Tensor(repeating: 0.02, shape: [3, 12]), bias])
        let y = try lstm(x)
        XCTAssertEqual(y.shape, [3, 3])
        let expected: [Float] = [0.6288687, 0.86899155, 0.9460773]
        for b in 0..<3 { for u in 0..<3 {
            XCTAssertEqual(y.scalars[b * 3 + u], expected[b], accuracy: 1e-6, "batch \(b) unit \(u)")
        } }
    }

    /// The default init gives the forget slice of the bias exactly 1.0 and zeros elsewhere.
    func testLSTMDefaultBiasHasUnitForgetSlice() throws {
        let lstm = LSTM(units: 2)
        try lstm.build(inputShape: [4, 3])
        let w = lstm.getWeights()
        XCTAssertEqual(w.map(\.shape), [[3, 8], [2, 8], [8]])
        XCTAssertEqual(w[2].scalars, [0, 0, 1, 1, 0, 0, 0, 0])
        let limit = (6.0 / Float(3 + 8)).squareRoot()
        XCTAssertTrue(w[0].scalars.allSatisfy { abs($0) <= limit })
        // The recurrent kernel (2, 8) has orthonormal rows.
        let u = w[1]
        let g = try u.matmul(u.transposed())
        XCTAssertTrue(g.isAlmostEqual(to: try Tensor([[1, 0], [0, 1]]), rtol: 0, atol: 1e-5), "\(g)")
    }
}
