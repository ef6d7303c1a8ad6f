import Foundation

/// Elementwise arithmetic with numpy broadcasting.
///
/// Shapes are aligned at the trailing axis; an extent of 1 (or a missing leading axis) stretches.
/// `(4, 3) + (3,)` adds a row to every row; `(2, 3) + (4,)` throws, naming both shapes.
extension Tensor {
    /// The broadcast shape of `a` and `b`, or an error naming both.
    static func broadcastShape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        let r = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            guard da == db || da == 1 || db == 1 else {
                throw LSTMKitError.shapeMismatch(
                    "cannot broadcast shapes \(formatShape(a)) and \(formatShape(b)) for '\(op)'")
            }
            out[i] = Swift.max(da, db)
            if da == 0 || db == 0 { out[i] = 0 }
        }
        return out
    }

    /// Applies `f` elementwise after broadcasting both operands.
    static func broadcasting(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) throws -> Tensor {
        if a.shape == b.shape {
            var out = a.scalars
            out.withUnsafeMutableBufferPointer { o in
                b.scalars.withUnsafeBufferPointer { q in for i in 0..<o.count { o[i] = f(o[i], q[i]) } }
            }
            return Tensor(uncheckedShape: a.shape, scalars: out)
        }
        if b.count == 1 && b.rank <= a.rank { let s = b.scalars[0]; return a.map { f($0, s) } }
        if a.count == 1 && a.rank <= b.rank { let s = a.scalars[0]; return b.map { f(s, $0) } }
        let shape = try broadcastShape(a.shape, b.shape, op: op)
        let r = shape.count
        // Strides of each operand in the output index space (0 where the operand is stretched).
        func stretchedStrides(_ t: Tensor) -> [Int] {
            let st = t.strides, pad = r - t.rank
            return (0..<r).map { i in i < pad || t.shape[i - pad] == 1 ? 0 : st[i - pad] }
        }
        let sa = stretchedStrides(a), sb = stretchedStrides(b)
        let n = shape.reduce(1, *)
        var out = [Float](repeating: 0, count: n)
        var index = [Int](repeating: 0, count: r)
        var ia = 0, ib = 0
        for k in 0..<n {
            out[k] = f(a.scalars[ia], b.scalars[ib])
            var axis = r - 1
            while axis >= 0 {
                index[axis] += 1; ia += sa[axis]; ib += sb[axis]
                if index[axis] < shape[axis] { break }
                ia -= sa[axis] * shape[axis]; ib -= sb[axis] * shape[axis]; index[axis] = 0; axis -= 1
            }
        }
        return Tensor(uncheckedShape: shape, scalars: out)
    }

    /// A tensor of the same shape with `f` applied to every element.
    public func map(_ f: (Float) -> Float) -> Tensor {
        var out = scalars
        out.withUnsafeMutableBufferPointer { o in for i in 0..<o.count { o[i] = f(o[i]) } }
        return Tensor(uncheckedShape: shape, scalars: out)
    }

    /// Elementwise sum with broadcasting.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try broadcasting(a, b, op: "+", +) }
    /// Elementwise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try broadcasting(a, b, op: "-", -) }
    /// Elementwise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try broadcasting(a, b, op: "*", *) }
    /// Elementwise quotient with broadcasting.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try broadcasting(a, b, op: "/", /) }

    /// Adds a scalar to every element.
    public static func + (a: Tensor, s: Float) -> Tensor { a.map { $0 + s } }
    /// Subtracts a scalar from every element.
    public static func - (a: Tensor, s: Float) -> Tensor { a.map { $0 - s } }
    /// Multiplies every element by a scalar.
    public static func * (a: Tensor, s: Float) -> Tensor { a.map { $0 * s } }
    /// Divides every element by a scalar.
    public static func / (a: Tensor, s: Float) -> Tensor { a.map { $0 / s } }
    /// Adds every element to a scalar.
    public static func + (s: Float, a: Tensor) -> Tensor { a.map { s + $0 } }
    /// Subtracts every element from a scalar.
    public static func - (s: Float, a: Tensor) -> Tensor { a.map { s - $0 } }
    /// Multiplies a scalar by every element.
    public static func * (s: Float, a: Tensor) -> Tensor { a.map { s * $0 } }
    /// Divides a scalar by every element.
    public static func / (s: Float, a: Tensor) -> Tensor { a.map { s / $0 } }
    /// Negates every element.
    public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }

    /// Elementwise square.
    public func squared() -> Tensor { map { $0 * $0 } }
    /// Elementwise square root.
    public func squareRoot() -> Tensor { map { $0.squareRoot() } }
    /// Elementwise absolute value.
    public func magnitude() -> Tensor { map { Swift.abs($0) } }
    /// Elementwise natural exponential.
    public func exp() -> Tensor { map { Foundation.exp($0) } }
    /// Elementwise natural logarithm.
    public func log() -> Tensor { map { Foundation.log($0) } }

    /// Every element rounded to `places` decimal places (half away from zero), e.g. for printing.
    public func rounded(places: Int) -> Tensor {
        let p = Foundation.pow(10.0, Double(places))
        return map { Float((Double($0) * p).rounded() / p) }
    }

    /// True when shapes match and every pair differs by at most `atol + rtol * |b|` (numpy's `allclose`).
    public func isAlmostEqual(to other: Tensor, rtol: Float = 1e-5, atol: Float = 1e-8) -> Bool {
        guard shape == other.shape else { return false }
        for i in 0..<count where !(Swift.abs(scalars[i] - other.scalars[i]) <= atol + rtol * Swift.abs(other.scalars[i])) {
            return false
        }
        return true
    }
}
