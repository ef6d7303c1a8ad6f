/// The column order of a recurrent layer's gate pre-activations while one sequence pass runs, and
/// the split of its units across cores.
///
/// Keras stores gate blocks side by side: columns `[i | f | c | o]`, each `units` wide. To run one
/// timestep on several cores, the units are cut into chunks and each core owns one chunk of every
/// gate: it multiplies h_{t-1} by its own columns of the recurrent kernel and then updates its own
/// units' states, so a step needs one hand-off and each core packs only its share of the weights
/// (OpenBLAS copies the whole right-hand matrix into its panel format on every call; with rows
/// split across cores every core packed all of it, every step). Within a pass the columns are
/// therefore ordered chunk by chunk, `[i₀ f₀ c₀ o₀ | i₁ f₁ c₁ o₁ | …]`; with one chunk this is
/// exactly Keras's order and nothing is copied.
struct GateLayout {
    /// Number of gate blocks (4 for an LSTM).
    let gates: Int
    /// Width of each gate block (the layer's units).
    let units: Int
    /// Unit ranges owned by each chunk; their widths are multiples of 16 except possibly the last.
    let chunks: [Range<Int>]

    /// `gates · units`.
    var columns: Int { gates * units }

    /// True when the order is Keras's own (one chunk).
    var isKerasOrder: Bool { chunks.count == 1 }

    /// Splits `units` across the cores when one step has enough work (`batch · columns` elements, as
    /// `Parallel.rows` decides) and the activations may run on pieces of a row.
    init(gates: Int, units: Int, batch: Int, elementwise: Bool) {
        self.gates = gates
        self.units = units
        var n = 1
        if elementwise && batch * gates * units >= Parallel.threshold {
            n = Swift.max(1, Swift.min(Parallel.maxChunks, units / 16))
        }
        var bounds = [0]
        for c in 1..<n { bounds.append(units * c / n / 16 * 16) }
        bounds.append(units)
        chunks = (0..<n).map { bounds[$0]..<bounds[$0 + 1] }
    }

    /// Column of gate `gate`'s first unit of chunk `chunk` in this layout.
    @inline(__always)
    func offset(chunk: Int, gate: Int) -> Int {
        let r = chunks[chunk]
        return gates * r.lowerBound + gate * r.count
    }

    /// Each (chunk, gate) block: its column in this layout, its column in Keras's order, its width.
    var blocks: [(chunk: Int, gate: Int, column: Int, kerasColumn: Int, width: Int)] {
        chunks.indices.flatMap { c in
            (0..<gates).map { g in (c, g, offset(chunk: c, gate: g), g * units + chunks[c].lowerBound, chunks[c].count) }
        }
    }

    /// A copy of a (rows, columns) matrix (or a vector with `rows` 1) in this layout; nil in Keras's order.
    func reordered(_ t: Tensor, rows: Int) -> FloatBuffer? {
        if isKerasOrder { return nil }
        let out = FloatBuffer(rows * columns), n = columns
        t.withUnsafeBufferPointer { src in
            for b in blocks {
                for r in 0..<rows {
                    (out.p + r * n + b.column).update(from: src.baseAddress! + r * n + b.kerasColumn, count: b.width)
                }
            }
        }
        return out
    }

    /// `body` with a pointer to `t` in this layout: the copy when there is one, else `t`'s own storage.
    func withColumns<R>(_ t: Tensor, _ copy: FloatBuffer?, _ body: (UnsafePointer<Float>) -> R) -> R {
        if let copy { return body(copy.p) }
        return t.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Adds a (rows, columns) gradient held in this layout to `p.grad` in Keras's order.
    func accumulate(_ g: UnsafePointer<Float>, rows: Int, into p: Parameter) {
        let n = columns
        p.grad.withUnsafeMutableBufferPointer { dst in
            for b in blocks {
                for r in 0..<rows {
                    let s = g + r * n + b.column, d = dst.baseAddress! + r * n + b.kerasColumn
                    for k in 0..<b.width { d[k] += s[k] }
                }
            }
        }
    }

    /// `p.grad += Σ_g a_gᵀ · dz[:, gate g]` over `rows` rows (a: (rows, k) per mask group), dz in this layout.
    func accumulateWeightGradient(groups: Int, k: Int, rows: Int, a: UnsafePointer<Float>, lda: Int, groupStride: Int,
                                  dz: UnsafePointer<Float>, into p: Parameter) {
        if isKerasOrder {
            GateProducts.weightGradient(groups: groups, gates: gates, width: units, k: k, rows: rows, a: a, lda: lda,
                                        groupStride: groupStride, dz: dz, lddz: columns, into: p)
            return
        }
        let n = columns, tmp = FloatBuffer(k * n)
        if groups == 1 {
            BLAS.gemm(transA: true, m: k, n: n, k: rows, a: a, lda: lda, b: dz, ldb: n, beta: 0, c: tmp.p, ldc: n)
        } else {
            for b in blocks {
                BLAS.gemm(transA: true, m: k, n: b.width, k: rows, a: a + b.gate * groupStride, lda: lda,
                          b: dz + b.column, ldb: n, beta: 0, c: tmp.p + b.column, ldc: n)
            }
        }
        accumulate(tmp.p, rows: k, into: p)
    }

    /// `p.grad += Σ_rows dz` (the bias gradient), dz (rows, columns) in this layout: one matrix-vector
    /// product with a row of ones.
    func accumulateBiasGradient(dz: UnsafePointer<Float>, rows: Int, into p: Parameter) {
        let n = columns, sums = FloatBuffer(n), ones = [Float](repeating: 1, count: rows)
        ones.withUnsafeBufferPointer { o in
            BLAS.gemm(m: 1, n: n, k: rows, a: o.baseAddress!, lda: rows, b: dz, ldb: n, beta: 0, c: sums.p, ldc: n)
        }
        accumulate(sums.p, rows: 1, into: p)
    }

    /// `out = Σ_g (dz[:, gate g] · w[:, gate g]ᵀ) ⊙ mask_g`: (m, columns)·(columns, k) → (m, k), dz and w
    /// in this layout; `mask` is (groups, maskRows, k) or nil and output row r uses mask row `maskRow(r)`.
    func inputGradient(groups: Int, m: Int, k: Int, dz: UnsafePointer<Float>, lddz: Int, w: UnsafePointer<Float>,
                       mask: [Float]?, maskRows: Int, maskRow: (Int) -> Int, out: UnsafeMutablePointer<Float>) {
        if isKerasOrder || groups == 1 {
            // One mask group: the gate order does not matter as long as dz and w share it.
            GateProducts.inputGradient(groups: groups, gates: gates, width: units, m: m, k: k, dz: dz, lddz: lddz, w: w,
                                       mask: mask, maskRows: maskRows, maskRow: maskRow, out: out)
            return
        }
        out.update(repeating: 0, count: m * k)
        let tmp = FloatBuffer(m * k)
        for g in 0..<gates {
            for c in chunks.indices {
                let col = offset(chunk: c, gate: g)
                BLAS.gemm(transB: true, m: m, n: k, k: chunks[c].count, a: dz + col, lda: lddz, b: w + col, ldb: columns,
                          beta: c == 0 ? 0 : 1, c: tmp.p, ldc: k)
            }
            let base = g * maskRows * k
            for r in 0..<m {
                let mr = base + maskRow(r) * k
                for j in 0..<k { out[r * k + j] += tmp.p[r * k + j] * (mask?[mr + j] ?? 1) }
            }
        }
    }

    /// Runs `body(chunk)` for every chunk, concurrently when there are several.
    @inline(__always)
    func run(_ body: (Int) -> Void) { Parallel.run(chunks.count, body) }
}
