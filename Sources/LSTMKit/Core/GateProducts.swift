/// Matrix products of gate blocks whose inputs may carry a different dropout mask per gate.
///
/// Keras 3 draws one dropout mask per gate once `recurrentDropout > 0` (its "implementation 1"), so
/// gate g sees x ⊙ m_g. With one mask group the whole (·, gates·width) product is one sgemm; with one
/// group per gate it is one sgemm per gate block. Weights are (k, gates·width), row-major.
enum GateProducts {
    /// `c[:, gate g] = a_g · w[:, gate g] + beta·c[:, gate g]`; `a_g = a + g·groupStride` when `groups > 1`.
    static func forward(groups: Int, gates: Int, width: Int, m: Int, k: Int,
                        a: UnsafePointer<Float>, lda: Int, groupStride: Int,
                        w: UnsafePointer<Float>, ldw: Int? = nil, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let n = gates * width, ldw = ldw ?? n
        if groups == 1 {
            BLAS.gemm(m: m, n: n, k: k, a: a, lda: lda, b: w, ldb: ldw, beta: beta, c: c, ldc: ldc, split: .k)
            return
        }
        for g in 0..<gates {
            BLAS.gemm(m: m, n: width, k: k, a: a + g * groupStride, lda: lda, b: w + g * width, ldb: ldw,
                      beta: beta, c: c + g * width, ldc: ldc)
        }
    }

    /// `grad[:, gate g] += a_gᵀ · dz[:, gate g]` over `rows` rows: (k, rows)·(rows, width) per gate.
    /// `ldg` is the gradient's row stride when only some gate blocks are updated (GRU's z, r).
    static func weightGradient(groups: Int, gates: Int, width: Int, k: Int, rows: Int,
                               a: UnsafePointer<Float>, lda: Int, groupStride: Int,
                               dz: UnsafePointer<Float>, lddz: Int, into p: Parameter, ldg: Int? = nil) {
        let n = gates * width, ldg = ldg ?? n
        if groups == 1 && ldg == n && k * n == p.count {
            // One product over the whole gradient.
            p.accumulateProduct(transA: true, transB: false, m: k, n: n, k: rows, a: a, lda: lda, b: dz, ldb: lddz)
            return
        }
        p.grad.withUnsafeMutableBufferPointer { g in
            let c = g.baseAddress!
            if groups == 1 {
                BLAS.gemm(transA: true, m: k, n: n, k: rows, a: a, lda: lda, b: dz, ldb: lddz, beta: 1, c: c, ldc: ldg, split: .m)
                return
            }
            for gate in 0..<gates {
                BLAS.gemm(transA: true, m: k, n: width, k: rows, a: a + gate * groupStride, lda: lda,
                          b: dz + gate * width, ldb: lddz, beta: 1, c: c + gate * width, ldc: ldg)
            }
        }
    }

    /// `out = Σ_g (dz[:, gate g] · w[:, gate g]ᵀ) ⊙ mask_g` — the gradient w.r.t. the (masked) inputs.
    ///
    /// `mask` is (groups, maskRows, k) or nil; output row r uses mask row `maskRow(r)`. out: (m, k).
    static func inputGradient(groups: Int, gates: Int, width: Int, m: Int, k: Int,
                              dz: UnsafePointer<Float>, lddz: Int, w: UnsafePointer<Float>, ldw: Int? = nil,
                              mask: [Float]?, maskRows: Int, maskRow: (Int) -> Int,
                              out: UnsafeMutablePointer<Float>) {
        let n = gates * width, ldw = ldw ?? n
        if groups == 1 {
            BLAS.gemm(transB: true, m: m, n: k, k: n, a: dz, lda: lddz, b: w, ldb: ldw, beta: 0, c: out, ldc: k, split: .n)
            if let mask { for r in 0..<m { let mr = maskRow(r) * k; for j in 0..<k { out[r * k + j] *= mask[mr + j] } } }
            return
        }
        out.update(repeating: 0, count: m * k)
        let tmp = FloatBuffer(m * k)
        for gate in 0..<gates {
            BLAS.gemm(transB: true, m: m, n: k, k: width, a: dz + gate * width, lda: lddz, b: w + gate * width, ldb: ldw,
                      beta: 0, c: tmp.p, ldc: k)
            let base = gate * maskRows * k
            for r in 0..<m {
                let mr = base + maskRow(r) * k
                for j in 0..<k { out[r * k + j] += tmp.p[r * k + j] * (mask?[mr + j] ?? 1) }
            }
        }
    }
}
