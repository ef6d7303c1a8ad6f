internal import CBLAS
import Foundation

/// Thin, typed wrappers over OpenBLAS used by every layer's hot path.
///
/// OpenBLAS itself runs single-threaded: its worker threads spin (sched_yield) for ~0.1 s after every
/// threaded call, which starved the row-parallel gate loops of the second core (a third of the CPU
/// samples were the scheduler). Large products are instead split into row (or column) blocks that run
/// concurrently on Dispatch's pool, whose idle threads sleep.
enum BLAS {
    /// Concurrent blocks for large products (the core count, at most 4).
    static let maxThreads = Parallel.maxChunks
    /// Below this many multiply-adds a product runs on the calling thread (measured here:
    /// (5×128)·(128×512) runs at 25 GFLOP/s on one thread, 11 on two).
    static let threadingThreshold = 1 << 21
    /// Products with at most this many rows go through sgemv row by row. OpenBLAS's AVX-512 kernel
    /// sets multiply small matrices without packing them, and there one sgemm beats per-row sgemv
    /// from two rows on (2–3x for the tutorials' batch of 5, measured on a 5th-generation Xeon); the
    /// other kernel sets pack even small operands, and sgemv wins up to ~8 rows (1.3–2x on an EPYC).
    static let smallRowCount: Int = {
        let core = coreName.lowercased()
        return ["skylakex", "cooperlake", "sapphirerapids"].contains(where: core.hasPrefix) ? 1 : 8
    }()

    /// While above zero, this thread's products run on this thread: callers that split work across threads
    /// themselves (`Parallel.run`, on the caller and on every thread that runs one of its chunks) must not
    /// split again. Per thread, so that one thread's loop does not change how another's products are split.
    static var singleThreadedDepth: Int { Kernels.singleThreadedDepth(adding: 0) }

    /// The OpenBLAS kernel set in use. OpenBLASCore.c checked it against the CPU (and replaced a fallback
    /// choice: OpenBLAS's own detection falls back to SSE3 kernels on CPU models newer than the library)
    /// once, when the library loaded, before any other thread could read the environment it changes.
    static let coreName: String = Kernels.openBLASCoreNote

    /// Once, before the first product: OpenBLAS is told to use one thread; LSTMKit does the splitting.
    private static let configured: Bool = { openblas_set_num_threads(1); return true }()

    /// Makes this thread's products single-threaded until the matching `leaveSingleThreaded()`.
    static func enterSingleThreaded() { _ = Kernels.singleThreadedDepth(adding: 1) }

    /// Ends this thread's innermost `enterSingleThreaded()` region.
    static func leaveSingleThreaded() { _ = Kernels.singleThreadedDepth(adding: -1) }

    /// `C = alpha · op(A) · op(B) + beta · C`, row-major; `op` transposes when the flag is set.
    ///
    /// Shapes: op(A) is (m, k), op(B) is (k, n), C is (m, n); `lda/ldb/ldc` are row strides, which
    /// lets callers address one timestep of a (B, T, F) buffer without copying (ld = T·F).
    ///
    /// `split` names the operand that is a layer's weight matrix (see `WeightRows`): the product is then
    /// shared between the cores by the weight's rows, so that each core touches only the rows it owns.
    static func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                     alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, split: WeightRows.Operand = .none) {
        if m == 0 || n == 0 { return }
        _ = configured
        if k == 0 {
            // BLAS leaves C untouched for k = 0 only when beta = 1; make the other cases explicit.
            if beta != 1 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : c[i * ldc + j] * beta } } }
            return
        }
        if split != .none && singleThreadedDepth == 0
            && WeightRows.gemm(split, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                               b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) {
            return
        }
        let chunks = m * n * k >= threadingThreshold && singleThreadedDepth == 0 ? maxThreads : 1
        if chunks > 1 && m >= 2 * chunks && m >= n / 4 {
            // Split rows of C: op(A) rows are A rows (no transpose) or A columns (transpose).
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                let m0 = m * i / chunks, m1 = m * (i + 1) / chunks
                serialGemm(transA: transA, transB: transB, m: m1 - m0, n: n, k: k, alpha: alpha,
                           a: transA ? a + m0 : a + m0 * lda, lda: lda, b: b, ldb: ldb,
                           beta: beta, c: c + m0 * ldc, ldc: ldc)
            }
            return
        }
        if chunks > 1 && n >= 16 * chunks {
            // Split columns of C: op(B) columns are B columns (no transpose) or B rows (transpose).
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                let n0 = n * i / chunks / 8 * 8, n1 = i == chunks - 1 ? n : n * (i + 1) / chunks / 8 * 8
                serialGemm(transA: transA, transB: transB, m: m, n: n1 - n0, k: k, alpha: alpha,
                           a: a, lda: lda, b: transB ? b + n0 * ldb : b + n0, ldb: ldb,
                           beta: beta, c: c + n0, ldc: ldc)
            }
            return
        }
        serialGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// One OpenBLAS call on the calling thread.
    @inline(__always)
    static func serialGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                   a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m <= smallRowCount {
            // A few rows (a small batch at one timestep): one matrix-vector product per row skips
            // sgemm's packing of the weight matrix, which dominates at this size (1.3–2x faster here).
            for i in 0..<m {
                // C may be uninitialised memory when beta is 0; sgemv's beta-0 scaling is not guaranteed
                // to clear a NaN in every OpenBLAS version, so the row is cleared here.
                if beta == 0 { (c + i * ldc).update(repeating: 0, count: n) }
                let x = transA ? a + i : a + i * lda
                let incX = Int32(transA ? lda : 1)
                if transB {
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb), x, incX, beta, c + i * ldc, 1)
                } else {
                    cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, Int32(ldb), x, incX, beta, c + i * ldc, 1)
                }
            }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Tensor {
    /// Matrix product of two rank-2 tensors: (m, k) · (k, n) → (m, n). Throws on an inner mismatch.
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard rank == 2, other.rank == 2, shape[1] == other.shape[0] else {
            throw LSTMKitError.shapeMismatch(
                "matmul expects (m, k) · (k, n), got \(formatShape(shape)) · \(formatShape(other.shape))")
        }
        let m = shape[0], k = shape[1], n = other.shape[1]
        var out = [Float](repeating: 0, count: m * n)
        scalars.withUnsafeBufferPointer { a in other.scalars.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { c in
                BLAS.gemm(m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n,
                          beta: 0, c: c.baseAddress!, ldc: n)
            }
        } }
        return Tensor(uncheckedShape: [m, n], scalars: out)
    }
}
