/// Shape manipulation: reshape, transpose, indexing and slicing along the first axes, concatenation.
extension Tensor {
    /// The same values viewed with a new shape; one extent may be `-1` and is inferred.
    ///
    /// Throws when the element counts differ, e.g. reshaping `(2, 3)` to `(4, -1)`.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        let unknown = target.indices.filter { target[$0] == -1 }
        if unknown.count > 1 {
            throw LSTMKitError.invalidArgument("reshaped: at most one -1 allowed, got \(formatShape(newShape))")
        }
        if let bad = target.first(where: { $0 < -1 }) {
            throw LSTMKitError.invalidArgument("reshaped: extents must be >= 0 or -1, got \(bad) in \(formatShape(newShape))")
        }
        if let u = unknown.first {
            let known = LSTMKit.checkedProduct(target.enumerated().filter { $0.offset != u }.map(\.element)) ?? 0
            guard known > 0, count % known == 0 else {
                throw LSTMKitError.shapeMismatch(
                    "cannot reshape tensor of shape \(formatShape(shape)) (\(count) elements) into \(formatShape(newShape))")
            }
            target[u] = count / known
        }
        guard LSTMKit.checkedProduct(target) == count else {
            throw LSTMKitError.shapeMismatch(
                "cannot reshape tensor of shape \(formatShape(shape)) (\(count) elements) into \(formatShape(newShape))")
        }
        return Tensor(uncheckedShape: target, scalars: scalars)
    }

    /// Reverses the axes (a matrix transpose for rank 2), like numpy's `a.T`.
    public func transposed() -> Tensor {
        // Reversing all axes never fails.
        return try! transposed(permutation: Array((0..<rank).reversed()))
    }

    /// Permutes the axes: result axis `i` is input axis `permutation[i]`.
    public func transposed(permutation: [Int]) throws -> Tensor {
        guard permutation.sorted() == Array(0..<rank) else {
            throw LSTMKitError.invalidArgument(
                "transposed: permutation must reorder 0..<\(rank), got \(permutation) for shape \(formatShape(shape))")
        }
        let newShape = permutation.map { shape[$0] }
        let oldStrides = strides
        let permStrides = permutation.map { oldStrides[$0] }
        var out = [Float](repeating: 0, count: count)
        if count > 0 {
            var index = [Int](repeating: 0, count: rank)
            var src = 0
            for dst in 0..<count {
                out[dst] = scalars[src]
                // Advance the odometer over the output shape, tracking the source offset.
                var axis = rank - 1
                while axis >= 0 {
                    index[axis] += 1; src += permStrides[axis]
                    if index[axis] < newShape[axis] { break }
                    src -= permStrides[axis] * newShape[axis]; index[axis] = 0; axis -= 1
                }
            }
        }
        return Tensor(uncheckedShape: newShape, scalars: out)
    }

    /// The sub-tensor at position `i` of the first axis (negative counts from the end).
    public subscript(_ i: Int) -> Tensor {
        get throws {
            guard rank > 0 else { throw LSTMKitError.invalidArgument("cannot index a scalar tensor") }
            let j = i < 0 ? i + shape[0] : i
            guard j >= 0, j < shape[0] else {
                throw LSTMKitError.invalidArgument("index \(i) is out of range for axis 0 with size \(shape[0])")
            }
            let inner = Array(shape.dropFirst())
            let n = inner.reduce(1, *)
            return Tensor(uncheckedShape: inner, scalars: Array(scalars[j * n ..< (j + 1) * n]))
        }
    }

    /// The sub-tensor at a position along the first `indices.count` axes, e.g. `x[0, 2]`.
    public subscript(_ indices: Int...) -> Tensor {
        get throws {
            var t = self
            for i in indices { t = try t[i] }
            return t
        }
    }

    /// The rows `range` of the first axis (rank is kept), like numpy's `a[2:5]`.
    public subscript(_ range: Range<Int>) -> Tensor {
        get throws {
            guard rank > 0 else { throw LSTMKitError.invalidArgument("cannot slice a scalar tensor") }
            guard range.lowerBound >= 0, range.upperBound <= shape[0] else {
                throw LSTMKitError.invalidArgument(
                    "slice \(range.lowerBound)..<\(range.upperBound) is out of range for axis 0 with size \(shape[0])")
            }
            return rows(range)
        }
    }

    /// The rows `range` of the first axis, like numpy's `a[2:]`.
    public subscript(_ range: PartialRangeFrom<Int>) -> Tensor {
        get throws {
            guard rank > 0 else { throw LSTMKitError.invalidArgument("cannot slice a scalar tensor") }
            // Checked before the Range is formed: a lower bound past the end would trap there.
            guard range.lowerBound >= 0, range.lowerBound <= shape[0] else {
                throw LSTMKitError.invalidArgument("slice \(range.lowerBound)... is out of range for axis 0 with size \(shape[0])")
            }
            return try self[range.lowerBound ..< shape[0]]
        }
    }

    /// The rows `range` of the first axis, like numpy's `a[:3]`.
    public subscript(_ range: PartialRangeUpTo<Int>) -> Tensor {
        get throws {
            guard rank > 0 else { throw LSTMKitError.invalidArgument("cannot slice a scalar tensor") }
            // Checked before the Range is formed: a negative bound (numpy's a[:-1]) would trap there.
            guard range.upperBound >= 0, range.upperBound <= shape[0] else {
                throw LSTMKitError.invalidArgument("slice ..<\(range.upperBound) is out of range for axis 0 with size \(shape[0])")
            }
            return try self[0 ..< range.upperBound]
        }
    }

    /// Rows along the first axis; callers have checked the bounds.
    func rows(_ range: Range<Int>) -> Tensor {
        let n = shape.dropFirst().reduce(1, *)
        var s = shape; s[0] = range.count
        return Tensor(uncheckedShape: s, scalars: Array(scalars[range.lowerBound * n ..< range.upperBound * n]))
    }

    /// Rows `indices` of the first axis in that order (used for shuffled batches).
    public func gathering(rows indices: [Int]) throws -> Tensor {
        guard rank > 0 else { throw LSTMKitError.invalidArgument("cannot gather rows of a scalar tensor") }
        let n = shape.dropFirst().reduce(1, *)
        var out = [Float](); out.reserveCapacity(indices.count * n)
        for i in indices {
            guard i >= 0, i < shape[0] else {
                throw LSTMKitError.invalidArgument("row index \(i) is out of range for axis 0 with size \(shape[0])")
            }
            out.append(contentsOf: scalars[i * n ..< (i + 1) * n])
        }
        var s = shape; s[0] = indices.count
        return Tensor(uncheckedShape: s, scalars: out)
    }

    /// Joins tensors along `axis` (negative counts from the end); all other extents must agree.
    public static func concatenated(_ parts: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = parts.first else { throw LSTMKitError.emptyData("concatenated: no tensors given") }
        let r = first.rank
        let ax = axis < 0 ? axis + r : axis
        guard ax >= 0, ax < r else {
            throw LSTMKitError.invalidArgument("concatenated: axis \(axis) is out of range for rank \(r)")
        }
        for (i, p) in parts.enumerated() {
            var a = p.shape, b = first.shape
            guard a.count == r else {
                throw LSTMKitError.shapeMismatch("concatenated: tensor 0 has shape \(formatShape(first.shape)), tensor \(i) has \(formatShape(p.shape))")
            }
            a[ax] = 0; b[ax] = 0
            if a != b {
                throw LSTMKitError.shapeMismatch("concatenated along axis \(ax): tensor 0 has shape \(formatShape(first.shape)), tensor \(i) has \(formatShape(p.shape))")
            }
        }
        let outer = first.shape[..<ax].reduce(1, *)
        let inner = first.shape[(ax + 1)...].reduce(1, *)
        var out = [Float](); out.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for o in 0..<outer {
            for p in parts {
                let chunk = p.shape[ax] * inner
                out.append(contentsOf: p.scalars[o * chunk ..< (o + 1) * chunk])
            }
        }
        var s = first.shape; s[ax] = parts.reduce(0) { $0 + $1.shape[ax] }
        return Tensor(uncheckedShape: s, scalars: out)
    }

    /// This tensor joined with `other` along `axis`.
    public func concatenated(with other: Tensor, axis: Int = 0) throws -> Tensor {
        try Tensor.concatenated([self, other], axis: axis)
    }

    /// The tensor with the time axis (axis 1) reversed: `(B, T, …)` → `(B, T, …)`.
    func reversedAlongAxis1() -> Tensor {
        precondition(rank >= 2)
        let b = shape[0], t = shape[1], inner = shape.dropFirst(2).reduce(1, *)
        var out = [Float](repeating: 0, count: count)
        for i in 0..<b { for s in 0..<t {
            let src = (i * t + s) * inner, dst = (i * t + (t - 1 - s)) * inner
            for k in 0..<inner { out[dst + k] = scalars[src + k] }
        } }
        return Tensor(uncheckedShape: shape, scalars: out)
    }
}
