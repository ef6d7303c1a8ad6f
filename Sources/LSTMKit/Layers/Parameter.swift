import Foundation

/// A trainable weight: its value, the gradient accumulated by backward passes, and its names.
///
/// A final class so that a layer shared by several models (encoder, decoder, autoencoder) updates
/// one set of weights. `grad` always has `value`'s shape; pullbacks *add* into it, optimisers read
/// it and callers reset it with `zeroGrad()`.
public final class Parameter {
    /// Current weights, e.g. an LSTM kernel of shape (inputDim, 4·units). Any tensor may be assigned, but
    /// the layer's next call throws unless it has `shape`.
    public var value: Tensor { didSet { stamp = Parameter.newStamp() } }
    /// The shape the layer was built for (Keras's variable shape); `value` must keep it.
    public let shape: [Int]
    /// A process-wide unique number that changes whenever `value` does (oneDNN keeps its packed copy of
    /// a weight matrix while the stamp stays the same).
    private(set) var stamp: UInt64 = Parameter.newStamp()
    /// d(loss)/d(value) accumulated since the last `zeroGrad()`; same shape as `value`.
    public var grad: Tensor {
        get { clearIfStale(); return gradStorage }
        set { gradStorage = newValue; gradIsStale = false }
        _modify { clearIfStale(); yield &gradStorage }
    }
    /// The gradient's elements; stale (to be read as zeros) while `gradIsStale`.
    private var gradStorage: Tensor
    /// Set by `zeroGrad()` instead of clearing: the first product that adds into the gradient then
    /// overwrites it (`accumulateProduct`), and any other access clears it first.
    private var gradIsStale = false
    /// Keras weight name within its layer: `kernel`, `recurrent_kernel`, `bias`.
    public let name: String
    /// Name of the layer that owns this parameter (`lstm_1`); wrapped layers keep their own name.
    public internal(set) var layerName: String
    /// Whether optimisers should update it (mirrors the owning layer's `trainable`).
    public var trainable: Bool = true
    /// Penalty added to the training loss (the layer's `kernelRegularizer` etc.), if any.
    public internal(set) var regularizer: Regularizer?
    /// Projection applied after every optimizer step (the layer's `kernelConstraint` etc.), if any.
    public internal(set) var constraint: Constraint?
    /// Whether the layer splits this matrix's products between the cores by rows (`WeightRows`), so that
    /// `zeroGrad` and the optimizer should handle each core's rows on that core too.
    var ownedByRows = false

    /// The row count `WeightRows.forEachOwnedRange` splits by: the matrix's rows when `ownedByRows`, else 1.
    var ownedRows: Int { ownedByRows && value.rank == 2 ? value.shape[0] : 1 }

    /// Creates a parameter with a zero gradient.
    public init(_ value: Tensor, name: String, layerName: String) {
        self.value = value
        self.shape = value.shape
        self.gradStorage = Tensor(uncheckedShape: value.shape, repeating: 0)
        self.name = name
        self.layerName = layerName
    }

    private static let stampLock = NSLock()
    nonisolated(unsafe) private static var lastStamp: UInt64 = 0

    private static func newStamp() -> UInt64 {
        stampLock.lock(); defer { stampLock.unlock() }
        lastStamp += 1
        return lastStamp
    }

    /// Throws `shapeMismatch` naming the weight, its shape and the layer's when `value` was given another shape.
    func checkShape() throws {
        guard value.shape != shape else { return }
        throw LSTMKitError.shapeMismatch(
            "weight '\(path)' has shape \(formatShape(value.shape)) but its layer was built for \(formatShape(shape)); assign a tensor of shape \(formatShape(shape)) (or use setWeights)")
    }

    /// Throws `shapeMismatch` when `grad` was assigned a tensor of another shape than the weight's: a backward
    /// pass would add past its end.
    func checkGradientShape() throws {
        guard gradStorage.shape != shape else { return }
        throw LSTMKitError.shapeMismatch(
            "the gradient of weight '\(path)' has shape \(formatShape(gradStorage.shape)) but the weight has \(formatShape(shape)); assign a gradient of the weight's shape (zeroGrad() resets it)")
    }

    /// `layer_name/weight_name`, the key used in saved weight files (e.g. `lstm/kernel`).
    public var path: String { "\(layerName)/\(name)" }

    /// Number of scalars.
    public var count: Int { value.count }

    /// Resets the gradient to zeros (keeps its storage when uniquely owned). The clearing itself waits for
    /// the first use: a weight-gradient product that covers the whole matrix overwrites it instead.
    public func zeroGrad() {
        if gradStorage.shape != value.shape {
            gradStorage = Tensor(uncheckedShape: value.shape, repeating: 0)
            gradIsStale = false
            return
        }
        gradIsStale = true
    }

    /// Clears a stale gradient, each owner's rows on its core (`WeightRows`).
    private func clearIfStale() {
        guard gradIsStale else { return }
        gradIsStale = false
        let rows = ownedRows
        gradStorage.withUnsafeMutableBufferPointer { g in
            guard let base = g.baseAddress else { return }
            WeightRows.forEachOwnedRange(rows: rows, count: g.count) { r in
                (base + r.lowerBound).update(repeating: 0, count: r.count)
            }
        }
    }

    /// `grad += op(A)·op(B)` through sgemm over the whole gradient ((m, n), row-major), split by the
    /// gradient's rows, which are the weight's (`WeightRows`). A gradient cleared since its last use is
    /// overwritten (beta 0), which saves clearing it.
    func accumulateProduct(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int) {
        precondition(m * n == count, "internal: a product into \(path)'s gradient must cover all of it")
        let beta: Float = gradIsStale ? 0 : 1
        gradIsStale = false
        gradStorage.withUnsafeMutableBufferPointer { g in
            guard let base = g.baseAddress else { return }
            BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                      beta: beta, c: base, ldc: n, split: .m)
        }
    }

    /// Adds `delta` (same shape) into `grad`.
    func accumulate(_ delta: UnsafePointer<Float>) {
        grad.withUnsafeMutableBufferPointer { g in for i in 0..<g.count { g[i] += delta[i] } }
    }
}

/// The initializer, regularizer and constraint of one kind of weight (`kernel`, `recurrent`, `bias`), as a
/// layer stores them and writes them to its config under Keras's keys (`kernel_initializer`, …).
struct WeightOptions: Equatable {
    var initializer: Initializer
    var regularizer: Regularizer?
    var constraint: Constraint?

    init(_ initializer: Initializer, _ regularizer: Regularizer?, _ constraint: Constraint?) {
        self.initializer = initializer
        self.regularizer = regularizer
        self.constraint = constraint
    }

    /// Reads `<prefix>_initializer`, `<prefix>_regularizer`, `<prefix>_constraint` (absent or null: defaults).
    init(config c: LayerConfig, prefix: String, default d: Initializer) throws {
        self.init(try c.initializer("\(prefix)_initializer", default: d), try c.regularizer("\(prefix)_regularizer"),
                  try c.constraint("\(prefix)_constraint"))
    }

    /// The three config entries, null where unset (as Keras writes them).
    func config(_ prefix: String) -> [String: ConfigValue] {
        ["\(prefix)_initializer": initializer.configValue, "\(prefix)_regularizer": regularizer?.configValue ?? .null,
         "\(prefix)_constraint": constraint?.configValue ?? .null]
    }
}
