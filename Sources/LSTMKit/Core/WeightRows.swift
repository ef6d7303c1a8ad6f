internal import CBLAS
import Foundation

/// Shares the small products of a training step, and the optimizer's pass, between the cores by
/// weight rows, while the cores are close enough for it to pay (`Mode.measured`).
///
/// With a small batch (the tutorial autoencoder's 5 rows), no product is large enough for the batch-row
/// split of `Parallel` to pay, and one core does all the work while the other idles. Splitting each product
/// in two halves on the step pool (`Kernels.parallelChunks`, a hand-off of ~0.1 µs while its helper spins)
/// halves the products, but what it saves is lost again when one core reads or writes cache lines the other
/// one wrote last. On a 2-vCPU AMD EPYC (Zen 4), Adam over 248,578 weights took 70 µs on one core, and
/// 164–241 µs once the other core had written half of the gradient.
///
/// So every weight matrix of `rows` rows is owned in row blocks: owner i has rows
/// `rows·i/chunks ..< rows·(i+1)/chunks`. Each product that involves a weight (below 2²¹ multiply-adds)
/// is computed in those blocks, so that each core multiplies only its rows and writes the gradient of its
/// rows, and the optimizer and `zeroGrad` handle each owner's rows on that owner's core. The weights, their
/// gradients and the optimizer's slots then stay in the cache of the core that owns them from one step to
/// the next.
///
/// The blocks depend only on the shapes and the core count. Whether they run concurrently is decided
/// at run time (`runsConcurrently`); when they do not, the caller runs them one after the other, so the
/// arithmetic, and every result, is the same either way: a fit is reproducible from run to run.
///
/// Measured (same VM, tutorial autoencoder fit, 300 epochs): on one core 0.128–0.139 s (median 0.133);
/// concurrent, 0.100–0.11 s while the two vCPUs shared a core complex, and 0.19–0.25 s while they did not,
/// which the hand-off measurement tells apart (see `handoffLimit`).
enum WeightRows {
    /// Which operand of `BLAS.gemm` is a weight matrix, and so which dimension follows its rows.
    enum Operand {
        /// No weight: sized by `BLAS.gemm`'s own rules.
        case none
        /// op(B) is the weight (k rows), e.g. `x · kernel`: each core multiplies its k-rows; the partial
        /// sums are then added.
        case k
        /// C is the weight's gradient (m rows), e.g. `grad += xᵀ · dz`: each core computes its rows of C.
        case m
        /// op(B) is the weight transposed (n = weight rows), e.g. `dz · kernelᵀ`: each core computes its
        /// columns of C.
        case n
    }

    /// When the owners' blocks run concurrently (`LSTMKIT_WEIGHT_ROWS`: `0` never, `1` always, unset:
    /// `measured`). Results are the same in every mode.
    enum Mode {
        case off, on
        /// While the step pool's measured hand-off says the cores share a cache (`handoffLimit`).
        case measured
    }

    nonisolated(unsafe) static var mode: Mode = {
        switch ProcessInfo.processInfo.environment["LSTMKIT_WEIGHT_ROWS"] {
        case "0": return .off
        case "1": return .on
        default: return .measured
        }
    }()

    /// The number of owners: the core count, at most 4. Tests set it directly.
    nonisolated(unsafe) static var chunks = Parallel.maxChunks

    /// The most an empty job may cost on the step pool for the split to pay, in ns. Measured on the 2-vCPU
    /// EPYC VM, whose two vCPUs the host moved between cores: ~0.2 µs when they shared a core complex (L3),
    /// and the split gained; ~0.7 µs when they sat on different dies, and every line the two cores
    /// exchanged (activations, partial sums) cost so much that split fits took 0.19–0.25 s against 0.13 s.
    static let handoffLimit = 400.0

    /// Split decisions between two measurements of the hand-off (a measurement is 96 empty jobs).
    static let probeInterval = 4096


    /// The last measured hand-off, in ns (nil before the first measurement or when the pool was busy). Kept
    /// in C atomics: every thread that multiplies reads it, and re-measures it when due.
    static var lastHandoff: Double? { Kernels.lastHandoff }

    /// Whether the owners' blocks run concurrently now (measuring the hand-off when due). Only the
    /// scheduling depends on it: the blocks, and so every result, are the same either way.
    static var runsConcurrently: Bool {
        guard chunks > 1, BLAS.singleThreadedDepth == 0 else { return false }
        switch mode {
        case .off: return false
        case .on: return true
        case .measured: break
        }
        if Kernels.probeDue(interval: probeInterval) {
            Kernels.lastHandoff = Kernels.parallelHandoffNanoseconds(chunks: chunks, jobs: 32)
        }
        return (Kernels.lastHandoff ?? .infinity) < handoffLimit
    }

    /// Weights with fewer rows stay whole.
    static let minimumRows = 16

    /// Products smaller than this (multiply-adds) and optimizer passes over fewer weights stay whole.
    static let minimumWork = 1 << 14

    /// Products whose k-split partial sums would exceed this many elements use `BLAS`'s own split instead.
    static let maximumPartial = 1 << 15

    /// The first row of owner `i` of a weight with `rows` rows.
    @inline(__always)
    static func edge(_ i: Int, rows: Int) -> Int { rows * i / chunks }

    /// Whether a weight of `rows` rows, with `work` multiply-adds in its product, is computed in owner blocks.
    /// It depends on the shapes and the core count only, so results do not change from run to run.
    @inline(__always)
    static func splits(rows: Int, work: Int) -> Bool {
        chunks > 1 && rows >= minimumRows && work >= minimumWork
    }

    /// `BLAS.gemm` computed in blocks of the weight's rows, one block per owner; false, with nothing done,
    /// when the product is not split (no weight, or too small). The blocks are the same whether they run
    /// concurrently or not, so a product's result does not depend on the machine's state.
    static func gemm(_ operand: Operand, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
        let chunks = self.chunks
        // Large products keep `BLAS`'s own split (row or column blocks on Dispatch), on every core.
        guard m * n * k < BLAS.threadingThreshold else { return false }
        switch operand {
        case .none:
            return false
        case .k:
            guard splits(rows: k, work: m * n * k), (chunks - 1) * m * n <= maximumPartial else { return false }
            // Owner 0 adds its share into C; the others write partial products, added after the join.
            let partial = FloatBuffer(uninitialized: (chunks - 1) * m * n)
            runOwnerBlocks { i in
                let k0 = edge(i, rows: k), k1 = edge(i + 1, rows: k)
                let ai = transA ? a + k0 * lda : a + k0, bi = transB ? b + k0 : b + k0 * ldb
                if i == 0 {
                    BLAS.serialGemm(transA: transA, transB: transB, m: m, n: n, k: k1 - k0, alpha: alpha, a: ai, lda: lda,
                                    b: bi, ldb: ldb, beta: beta, c: c, ldc: ldc)
                } else {
                    BLAS.serialGemm(transA: transA, transB: transB, m: m, n: n, k: k1 - k0, alpha: alpha, a: ai, lda: lda,
                                    b: bi, ldb: ldb, beta: 0, c: partial.p + (i - 1) * m * n, ldc: n)
                }
            }
            // saxpy with α = 1 rounds each sum once, like `c += p`, but in OpenBLAS's AVX-512/AVX2 kernel
            // (Swift's own loops are compiled for baseline x86-64 and vectorise to SSE only).
            for i in 1..<chunks {
                let p = partial.p + (i - 1) * m * n
                if ldc == n {
                    cblas_saxpy(Int32(m * n), 1, p, 1, c, 1)
                } else {
                    for r in 0..<m { cblas_saxpy(Int32(n), 1, p + r * n, 1, c + r * ldc, 1) }
                }
            }
            return true
        case .m:
            guard splits(rows: m, work: m * n * k) else { return false }
            runOwnerBlocks { i in
                let m0 = edge(i, rows: m), m1 = edge(i + 1, rows: m)
                BLAS.serialGemm(transA: transA, transB: transB, m: m1 - m0, n: n, k: k, alpha: alpha,
                                a: transA ? a + m0 : a + m0 * lda, lda: lda, b: b, ldb: ldb,
                                beta: beta, c: c + m0 * ldc, ldc: ldc)
            }
            return true
        case .n:
            guard splits(rows: n, work: m * n * k) else { return false }
            runOwnerBlocks { i in
                let n0 = edge(i, rows: n), n1 = edge(i + 1, rows: n)
                BLAS.serialGemm(transA: transA, transB: transB, m: m, n: n1 - n0, k: k, alpha: alpha,
                                a: a, lda: lda, b: transB ? b + n0 * ldb : b + n0, ldb: ldb,
                                beta: beta, c: c + n0, ldc: ldc)
            }
            return true
        }
    }

    /// Runs `body(owner)` for every owner: concurrently on the step pool while the split pays, else one
    /// after the other here. For work that `ownedRange` divides, the result is the same either way.
    static func runOwnerBlocks(_ body: (Int) -> Void) {
        if runsConcurrently && Kernels.parallelChunks(chunks, body) { return }
        for i in 0..<chunks { body(i) }
    }

    /// Whether the elementwise updates of a (rows, columns) weight of `count` elements are shared by its
    /// owners (`splits`, and the elements are whole rows).
    static func updatesByRows(rows: Int, count: Int) -> Bool {
        splits(rows: rows, work: count) && count % rows == 0
    }

    /// The elements of a (rows, columns) weight of `count` elements that `owner` updates: its rows when the
    /// weight is split (`updatesByRows`), everything for owner 0 otherwise; nil when `owner` has nothing to do.
    static func ownedRange(_ owner: Int, rows: Int, count: Int) -> Range<Int>? {
        guard updatesByRows(rows: rows, count: count) else { return owner == 0 && count > 0 ? 0..<count : nil }
        let columns = count / rows
        let r = edge(owner, rows: rows) * columns..<edge(owner + 1, rows: rows) * columns
        return r.isEmpty ? nil : r
    }

    /// Runs `body(range)` over the element ranges of a (rows, columns) weight that each owner updates,
    /// each on its owner's core while the split runs concurrently; one call over everything otherwise.
    /// For elementwise updates the result is the same either way.
    static func forEachOwnedRange(rows: Int, count: Int, _ body: (Range<Int>) -> Void) {
        guard updatesByRows(rows: rows, count: count), runsConcurrently,
              Kernels.parallelChunks(chunks, { i in if let r = ownedRange(i, rows: rows, count: count) { body(r) } })
        else {
            body(0..<count)
            return
        }
    }
}

extension LSTMKit {
    /// Whether LSTM layers share their small products (a small batch, e.g. the tutorials' 5 rows) and the
    /// optimizer's update between the cores by weight rows. Default true, and then used only while a
    /// measurement of the cores' hand-off, repeated every few thousand products, says it pays (two cores
    /// on different dies, or a core another process holds, do not). `LSTMKIT_WEIGHT_ROWS=0` in the
    /// environment turns it off for the process and `=1` uses it without measuring. Results do not depend
    /// on it: the products are computed in the same blocks, one after the other, when it is off.
    public static var splitsSmallProducts: Bool {
        get { WeightRows.mode != .off && WeightRows.chunks > 1 }
        set { WeightRows.mode = newValue ? (WeightRows.mode == .on ? .on : .measured) : .off }
    }

    /// The last measured cost of handing an empty job to the other core(s) and back, in ns (nil before the
    /// first measurement, or when another thread held the helpers). Below 400 ns the split is used.
    public static var coreHandoffNanoseconds: Double? { WeightRows.lastHandoff }
}
