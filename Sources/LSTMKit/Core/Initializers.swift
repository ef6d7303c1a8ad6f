import Foundation

/// Weight initialisers with Keras's definitions, drawing from the global seeded generator.
public enum Initializer: String, Codable, Sendable {
    /// U(−l, l) with l = sqrt(6 / (fanIn + fanOut)); fanIn = shape[0], fanOut = shape[1] for matrices.
    case glorotUniform = "glorot_uniform"
    /// A (semi-)orthogonal matrix from the QR decomposition of a standard normal one, signs fixed by diag(R).
    case orthogonal
    /// All zeros.
    case zeros
    /// All ones.
    case ones

    /// A new tensor of `shape` drawn from this initialiser.
    func make(_ shape: [Int]) -> Tensor {
        switch self {
        case .zeros: return .zeros(shape)
        case .ones: return .ones(shape)
        case .glorotUniform:
            let fanIn = shape.count >= 2 ? shape.dropLast().reduce(1, *) : (shape.first ?? 1)
            let fanOut = shape.last ?? 1
            let limit = Float((6.0 / Double(Swift.max(1, fanIn + fanOut))).squareRoot())
            return .randomUniform(shape, low: -limit, high: limit)
        case .orthogonal:
            return Initializer.orthogonalMatrix(rows: shape.dropLast().reduce(1, *), cols: shape.last ?? 1, shape: shape)
        }
    }

    /// Orthonormal rows or columns (whichever is fewer), by modified Gram–Schmidt in Double.
    static func orthogonalMatrix(rows: Int, cols: Int, shape: [Int]) -> Tensor {
        // Work on a tall matrix (n × k, n ≥ k) and orthonormalise its k columns.
        let n = Swift.max(rows, cols), k = Swift.min(rows, cols)
        let g = LSTMKit.normalScalars(count: n * k).map(Double.init)
        var q = [Double](repeating: 0, count: n * k)  // column-major: column j at q[j*n ..< (j+1)*n]
        for j in 0..<k { for i in 0..<n { q[j * n + i] = g[i * k + j] } }
        for j in 0..<k {
            for p in 0..<j {
                var dot = 0.0
                for i in 0..<n { dot += q[p * n + i] * q[j * n + i] }
                for i in 0..<n { q[j * n + i] -= dot * q[p * n + i] }
            }
            var norm = 0.0
            for i in 0..<n { norm += q[j * n + i] * q[j * n + i] }
            norm = norm.squareRoot()
            // Gram–Schmidt's diagonal R entries are positive, which is the sign convention Keras applies.
            for i in 0..<n { q[j * n + i] /= Swift.max(norm, 1e-12) }
        }
        var out = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows { for c in 0..<cols {
            out[r * cols + c] = Float(rows >= cols ? q[c * n + r] : q[r * n + c])
        } }
        return Tensor(uncheckedShape: shape, scalars: out)
    }
}
