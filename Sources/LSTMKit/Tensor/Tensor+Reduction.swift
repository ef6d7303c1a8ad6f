/// Reductions over all elements or along one axis.
extension Tensor {
    /// Reduces along `axis` (negative counts from the end), removing it unless `keepDims`.
    func reduce(axis: Int, keepDims: Bool, op: String,
                initial: Float, _ combine: (Float, Float) -> Float) throws -> Tensor {
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 0, ax < rank else {
            throw LSTMKitError.invalidArgument("\(op): axis \(axis) is out of range for a tensor of shape \(formatShape(shape))")
        }
        let outer = shape[..<ax].reduce(1, *), n = shape[ax], inner = shape[(ax + 1)...].reduce(1, *)
        var out = [Float](repeating: initial, count: outer * inner)
        for o in 0..<outer { for k in 0..<n { for i in 0..<inner {
            out[o * inner + i] = combine(out[o * inner + i], scalars[(o * n + k) * inner + i])
        } } }
        var s = shape
        if keepDims { s[ax] = 1 } else { s.remove(at: ax) }
        return Tensor(uncheckedShape: s, scalars: out)
    }

    /// Sum of all elements (accumulated in Double).
    public func sum() -> Float { Float(scalars.reduce(0.0) { $0 + Double($1) }) }
    /// Mean of all elements; NaN for an empty tensor.
    public func mean() -> Float { count == 0 ? .nan : Float(scalars.reduce(0.0) { $0 + Double($1) } / Double(count)) }
    /// Largest element; NaN for an empty tensor.
    public func max() -> Float { scalars.max() ?? .nan }
    /// Smallest element; NaN for an empty tensor.
    public func min() -> Float { scalars.min() ?? .nan }

    /// Sums along `axis`: shape `(…, n, …)` → `(…, …)` (or `(…, 1, …)` with `keepDims`).
    public func sum(axis: Int, keepDims: Bool = false) throws -> Tensor {
        try reduce(axis: axis, keepDims: keepDims, op: "sum", initial: 0, +)
    }

    /// Means along `axis`.
    public func mean(axis: Int, keepDims: Bool = false) throws -> Tensor {
        let ax = axis < 0 ? axis + rank : axis
        let s = try sum(axis: axis, keepDims: keepDims)
        let n = Float(shape[ax])
        return s.map { $0 / n }
    }

    /// Maxima along `axis`.
    public func max(axis: Int, keepDims: Bool = false) throws -> Tensor {
        try reduce(axis: axis, keepDims: keepDims, op: "max", initial: -.infinity) { Swift.max($0, $1) }
    }

    /// Minima along `axis`.
    public func min(axis: Int, keepDims: Bool = false) throws -> Tensor {
        try reduce(axis: axis, keepDims: keepDims, op: "min", initial: .infinity) { Swift.min($0, $1) }
    }

    /// Index of the largest element along the last axis: `(…, n)` → `(…)` (as Floats).
    public func argmax() -> Tensor {
        guard rank > 0, let n = shape.last, n > 0 else { return self }
        let rows = count / n
        var out = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            var best = 0
            for k in 1..<n where scalars[r * n + k] > scalars[r * n + best] { best = k }
            out[r] = Float(best)
        }
        return Tensor(uncheckedShape: Array(shape.dropLast()), scalars: out)
    }
}
