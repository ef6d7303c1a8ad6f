/// An n-dimensional array of Float32 values in row-major order, with value semantics.
///
/// Storage is a Swift `[Float]`, so copies are cheap until one side writes (copy-on-write).
/// `Tensor([[0.1, 0.2], [0.3, 0.4]])` has shape `[2, 2]`; a scalar tensor has shape `[]`.
public struct Tensor {
    /// Extent of each axis, outermost first, e.g. `[batch, timesteps, features]`.
    public private(set) var shape: [Int]
    /// The values in row-major order; `scalars.count == shape.reduce(1, *)`.
    public internal(set) var scalars: [Float]

    /// A tensor of `shape` holding `scalars` (row-major). Throws when the counts differ.
    public init(shape: [Int], scalars: [Float]) throws {
        if let bad = shape.first(where: { $0 < 0 }) {
            throw LSTMKitError.invalidArgument("Tensor shape \(formatShape(shape)) has a negative extent \(bad)")
        }
        // Overflow-checked: a hostile file's shape must throw, not trap.
        guard let n = LSTMKit.checkedProduct(shape) else {
            throw LSTMKitError.invalidArgument("Tensor shape \(formatShape(shape)) has more elements than Int can count")
        }
        guard n == scalars.count else {
            throw LSTMKitError.shapeMismatch(
                "Tensor of shape \(formatShape(shape)) needs \(n) scalars, got \(scalars.count)")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// Internal unchecked initialiser: callers guarantee `scalars.count == shape.reduce(1, *)`.
    init(uncheckedShape shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count, "internal: shape \(shape) vs \(scalars.count) scalars")
        self.shape = shape
        self.scalars = scalars
    }

    /// A rank-0 tensor holding one value.
    public init(_ scalar: Float) { self.init(uncheckedShape: [], scalars: [scalar]) }

    /// A rank-1 tensor of shape `[values.count]`.
    public init(_ values: [Float]) { self.init(uncheckedShape: [values.count], scalars: values) }

    /// A tensor of `shape` with every element `value`. Throws `invalidArgument` naming the shape for a
    /// negative extent or more elements than `LSTMKit.maxTensorElements`.
    public init(repeating value: Float, shape: [Int]) throws {
        let n = try LSTMKit.elementCount(shape, what: "Tensor(repeating:shape:)")
        self.init(uncheckedShape: shape, scalars: [Float](repeating: value, count: n))
    }

    /// Internal: a tensor of a shape the caller knows to be valid, every element `value`.
    init(uncheckedShape shape: [Int], repeating value: Float) {
        self.init(uncheckedShape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor of `shape` filled with zeros; throws for a negative extent or an impossible size.
    public static func zeros(_ shape: [Int]) throws -> Tensor {
        Tensor(uncheckedShape: shape, scalars: [Float](repeating: 0, count: try LSTMKit.elementCount(shape, what: "Tensor.zeros")))
    }

    /// A tensor of `shape` filled with ones; throws for a negative extent or an impossible size.
    public static func ones(_ shape: [Int]) throws -> Tensor {
        Tensor(uncheckedShape: shape, scalars: [Float](repeating: 1, count: try LSTMKit.elementCount(shape, what: "Tensor.ones")))
    }

    /// Number of axes (0 for a scalar tensor).
    public var rank: Int { shape.count }

    /// Total number of elements.
    public var count: Int { scalars.count }

    /// The single value of a one-element tensor (any rank).
    public var scalar: Float? { scalars.count == 1 ? scalars[0] : nil }

    /// Row-major strides in elements: `strides[i]` is the distance between neighbours along axis `i`.
    var strides: [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
        return s
    }

    /// Mutable access to the storage for hot loops (keeps copy-on-write semantics).
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }

    /// Read-only access to the storage for hot loops.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }
}

extension Tensor: Equatable {
    /// Equal shapes and bit-for-bit equal values (NaN is never equal).
    public static func == (a: Tensor, b: Tensor) -> Bool { a.shape == b.shape && a.scalars == b.scalars }
}

// MARK: - Nested-array initialisers

extension Tensor {
    /// A rank-2 tensor from rows. Throws when rows have different lengths.
    public init(_ rows: [[Float]]) throws {
        let inner = rows.first?.count ?? 0
        for (i, r) in rows.enumerated() where r.count != inner {
            throw LSTMKitError.shapeMismatch("ragged nested array: row 0 has \(inner) values, row \(i) has \(r.count)")
        }
        self.init(uncheckedShape: [rows.count, inner], scalars: rows.flatMap { $0 })
    }

    /// A rank-3 tensor from nested arrays. Throws when the nesting is ragged.
    public init(_ blocks: [[[Float]]]) throws {
        let parts = try blocks.map { try Tensor($0) }
        try self.init(stacking: parts, innerShapeIfEmpty: [0, 0])
    }

    /// A rank-4 tensor from nested arrays. Throws when the nesting is ragged.
    public init(_ blocks: [[[[Float]]]]) throws {
        let parts = try blocks.map { try Tensor($0) }
        try self.init(stacking: parts, innerShapeIfEmpty: [0, 0, 0])
    }

    /// Stacks equally shaped tensors along a new first axis.
    public init(stacking parts: [Tensor]) throws {
        try self.init(stacking: parts, innerShapeIfEmpty: [])
    }

    private init(stacking parts: [Tensor], innerShapeIfEmpty: [Int]) throws {
        let inner = parts.first?.shape ?? innerShapeIfEmpty
        for (i, p) in parts.enumerated() where p.shape != inner {
            throw LSTMKitError.shapeMismatch(
                "ragged nested array: element 0 has shape \(formatShape(inner)), element \(i) has \(formatShape(p.shape))")
        }
        var s = [Float](); s.reserveCapacity(parts.count * inner.reduce(1, *))
        for p in parts { s.append(contentsOf: p.scalars) }
        self.init(uncheckedShape: [parts.count] + inner, scalars: s)
    }

    /// The values as nested arrays of rank 2 (throws unless `rank == 2`).
    public func array2D() throws -> [[Float]] {
        guard rank == 2 else { throw LSTMKitError.shapeMismatch("array2D needs a rank-2 tensor, got shape \(formatShape(shape))") }
        return (0..<shape[0]).map { Array(scalars[$0 * shape[1] ..< ($0 + 1) * shape[1]]) }
    }

    /// The values as nested arrays of rank 3 (throws unless `rank == 3`).
    public func array3D() throws -> [[[Float]]] {
        guard rank == 3 else { throw LSTMKitError.shapeMismatch("array3D needs a rank-3 tensor, got shape \(formatShape(shape))") }
        return try (0..<shape[0]).map { try self[$0].array2D() }
    }
}
