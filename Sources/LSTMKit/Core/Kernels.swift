// Implementation-only: notebook cells and benchmarks compile against LSTMKit's module outside SwiftPM
// and must not need CKernels' module map (CBLAS already needs one). Only free functions over
// pointers and scalars cross this boundary, so no LSTMKit type layout depends on the C module.
@_implementationOnly import CKernels

/// The elementwise hot loops (Adam's update, sigmoid, tanh) and the step thread pool, in C. Matrix
/// products stay with OpenBLAS (`BLAS`).
///
/// Swift builds for baseline x86-64 (8-lane SIMD = two SSE operations). `CKernels` compiles each loop
/// for SSE, AVX2 and AVX-512 and picks the widest the CPU supports on first use. Every variant rounds
/// exactly like the scalar formula (no FMA contraction), so results do not depend on the machine.
/// Measured here (Zen 4): tanh + sigmoid 1.4 → 0.33 ns an element, Adam 117 → 41 µs a step of the
/// tutorial autoencoder's 248,578 weights.
enum Kernels {
    /// `m += (g − m)·b1c`, `v += (g² − v)·b2c`, `w −= (m·alpha)/(√v + eps)` over `count` elements.
    @inline(__always)
    static func adamUpdate(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                           first m: UnsafeMutablePointer<Float>, second v: UnsafeMutablePointer<Float>, count: Int,
                           alpha: Float, b1c: Float, b2c: Float, eps: Float) {
        lk_adam_update(w, g, m, v, count, alpha, b1c, b2c, eps)
    }

    /// In place `p[i] = 1 / (1 + e^(−p[i]))` (Cephes expf, ≤ 2 ulp).
    @inline(__always)
    static func sigmoid(_ p: UnsafeMutablePointer<Float>, count: Int) { lk_sigmoid(p, count) }

    /// In place `p[i] = tanh(p[i])` (Cephes tanhf, ≤ 3 ulp; agrees with libm to ~2e-7 relative).
    @inline(__always)
    static func tanh(_ p: UnsafeMutablePointer<Float>, count: Int) { lk_tanh(p, count) }

    /// One unmasked row of an LSTM step with sigmoid gates and tanh or relu activation (see CKernels.h).
    @inline(__always)
    static func lstmForwardRow(z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>,
                               tc: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
                               width: Int, relu: Bool) {
        lk_lstm_forward_row(z, bias, c, tc, h, out, width, relu ? 1 : 0)
    }

    /// The backward pass of one unmasked row of an LSTM step (see CKernels.h).
    @inline(__always)
    static func lstmBackwardRow(z: UnsafePointer<Float>, tc: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                                dOut: UnsafePointer<Float>?, dh: UnsafeMutablePointer<Float>, carry: UnsafeMutablePointer<Float>,
                                dc: UnsafeMutablePointer<Float>, dz: UnsafeMutablePointer<Float>, width: Int, relu: Bool) {
        lk_lstm_backward_row(z, tc, cPrev, dOut, dh, carry, dc, dz, width, relu ? 1 : 0)
    }

    /// Runs `body(0)` here and `body(1..<chunks)` on the spinning helper threads of `StepPool.c`; false
    /// (nothing run) when the pool is busy with another caller or `chunks` exceeds 4.
    static func parallelChunks(_ chunks: Int, _ body: (Int) -> Void) -> Bool {
        withoutActuallyEscaping(body) { body in
            var job = body
            return withUnsafeMutablePointer(to: &job) { pointer in
                lk_parallel_chunks(chunks, { context, chunk in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(chunk)
                }, pointer) != 0
            }
        }
    }

    /// Adds `delta` to this thread's count of single-threaded regions; returns the new count.
    @inline(__always)
    static func singleThreadedDepth(adding delta: Int32) -> Int { Int(lk_single_threaded_depth(delta)) }

    /// Whether a hand-off measurement is due (once per `interval` calls, over all threads).
    static func probeDue(interval: Int) -> Bool { lk_probe_due(interval) != 0 }

    /// The last recorded hand-off in ns, shared by all threads (nil: none yet, or the pool was busy).
    static var lastHandoff: Double? {
        get { let ns = lk_last_handoff(); return ns < 0 ? nil : ns }
        set { lk_set_last_handoff(newValue ?? -1) }
    }

    /// What one empty job of `chunks` chunks costs on the step pool, in ns (fastest of three batches of
    /// `jobs`); nil when the pool is busy with another caller.
    static func parallelHandoffNanoseconds(chunks: Int, jobs: Int) -> Double? {
        let ns = lk_parallel_handoff_ns(chunks, jobs)
        return ns < 0 ? nil : ns
    }

    /// Which compiled variant runs on this machine: `avx512`, `avx2` or `baseline`.
    static var variant: String { String(cString: lk_kernel_variant()) }

    /// The OpenBLAS kernel set in use, with a note when it was changed (see OpenBLASCore.c: the check
    /// ran once when the library loaded, before any thread of LSTMKit's existed).
    static var openBLASCoreNote: String { String(cString: lk_openblas_core_note()) }

    /// Whether loading LSTMKit raised glibc's mmap/trim thresholds (`Sources/CKernels/Allocator.c`).
    static var allocatorTuned: Bool { lk_allocator_tuned() != 0 }
}
