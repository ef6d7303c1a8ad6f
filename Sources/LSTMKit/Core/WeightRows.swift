import Foundation

/// Shares the small products of a training step, and the optimizer's pass, between the cores by
/// weight rows. Off unless the environment sets `LSTMKIT_WEIGHT_ROWS=1` (see "Measured" below).
///
/// With a small batch (the tutorial autoencoder's 5 rows), no product is large enough for the batch-row
/// split of `Parallel` to pay, and one core does all the work while the other idles. Splitting each product
/// in two halves on the step pool (`Kernels.parallelChunks`, a hand-off of ~0.1 µs while its helper spins)
/// halves the products, but what it saves is lost again when one core reads or writes cache lines the other
/// one wrote last. On a 2-vCPU AMD EPYC (Zen 4), Adam over 248,578 weights took 70 µs on one core, and
/// 164–241 µs once the other core had written half of the gradient.
///
/// So every weight matrix of `rows` rows is owned in row blocks: owner i has rows
/// `rows·i/chunks ..< rows·(i+1)/chunks`. Each product that involves a weight is split so that each core
/// multiplies only its rows, each core writes the gradient of its rows, and the optimizer and `zeroGrad`
/// handle each owner's rows on that owner's core. The weights, their gradients and the optimizer's slots
/// then stay in the cache of the core that owns them from one step to the next.
///
/// Measured (same VM, tutorial autoencoder fit, 300 epochs, 20 fits in 10 alternating processes each):
/// on one core 0.128–0.139 s (median 0.133); split, median 0.113 and 0.100 at best, but 6 of the 20 fits
/// took 0.19–0.25 s, in runs where every part of the step, on both cores, was slower. That mode came and
/// went with the VM's placement and was not pinned down, so the split stays opt-in.
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

    /// The number of owners: the core count (at most 4) with `LSTMKIT_WEIGHT_ROWS=1`, else 1 (nothing is
    /// split). Tests set it directly.
    nonisolated(unsafe) static var chunks = ProcessInfo.processInfo.environment["LSTMKIT_WEIGHT_ROWS"] == "1" ? Parallel.maxChunks : 1

    /// Weights with fewer rows stay whole on the calling thread.
    static let minimumRows = 16

    /// Products smaller than this (multiply-adds) and optimizer passes over fewer weights stay on the calling
    /// thread even for split weights (their rows were never touched by another core then).
    static let minimumWork = 1 << 14

    /// Products whose k-split partial sums would exceed this many elements use `BLAS`'s own split instead.
    static let maximumPartial = 1 << 15

    /// The first row of owner `i` of a weight with `rows` rows.
    @inline(__always)
    static func edge(_ i: Int, rows: Int) -> Int { rows * i / chunks }

    /// Whether a weight of `rows` rows, with `work` multiply-adds in its product, is split at all.
    @inline(__always)
    static func splits(rows: Int, work: Int) -> Bool {
        chunks > 1 && rows >= minimumRows && work >= minimumWork
    }

    /// `BLAS.gemm` split by the weight's rows on the step pool; false, with nothing done, when the product
    /// is not split (too small, or the pool is busy with another caller).
    static func gemm(_ operand: Operand, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
        let chunks = self.chunks
        guard chunks > 1 else { return false }
        switch operand {
        case .none:
            return false
        case .k:
            guard splits(rows: k, work: m * n * k), (chunks - 1) * m * n <= maximumPartial else { return false }
            // Owner 0 adds its share into C; the others write partial products, added after the join.
            let partial = FloatBuffer(uninitialized: (chunks - 1) * m * n)
            let done = Kernels.parallelChunks(chunks) { i in
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
            guard done else { return false }
            for i in 1..<chunks {
                let p = partial.p + (i - 1) * m * n
                for r in 0..<m {
                    let cr = c + r * ldc, pr = p + r * n
                    for j in 0..<n { cr[j] += pr[j] }
                }
            }
            return true
        case .m:
            guard splits(rows: m, work: m * n * k) else { return false }
            return Kernels.parallelChunks(chunks) { i in
                let m0 = edge(i, rows: m), m1 = edge(i + 1, rows: m)
                BLAS.serialGemm(transA: transA, transB: transB, m: m1 - m0, n: n, k: k, alpha: alpha,
                                a: transA ? a + m0 : a + m0 * lda, lda: lda, b: b, ldb: ldb,
                                beta: beta, c: c + m0 * ldc, ldc: ldc)
            }
        case .n:
            guard splits(rows: n, work: m * n * k) else { return false }
            return Kernels.parallelChunks(chunks) { i in
                let n0 = edge(i, rows: n), n1 = edge(i + 1, rows: n)
                BLAS.serialGemm(transA: transA, transB: transB, m: m, n: n1 - n0, k: k, alpha: alpha,
                                a: a, lda: lda, b: transB ? b + n0 * ldb : b + n0, ldb: ldb,
                                beta: beta, c: c + n0, ldc: ldc)
            }
        }
    }

    /// Runs `body(range)` over the element ranges of a (rows, columns) weight that each owner updates,
    /// each on its owner's core; one call over everything when the weight is not split.
    static func forEachOwnedRange(rows: Int, count: Int, _ body: (Range<Int>) -> Void) {
        let columns = rows > 0 ? count / rows : 0
        if splits(rows: rows, work: count), rows * columns == count, BLAS.singleThreadedDepth == 0,
           Kernels.parallelChunks(chunks, { i in body(edge(i, rows: rows) * columns..<edge(i + 1, rows: rows) * columns) }) {
            return
        }
        body(0..<count)
    }
}
