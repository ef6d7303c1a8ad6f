/// The column order of a recurrent layer's gate pre-activations while one sequence pass runs, and
/// the split of its timesteps' work across cores.
///
/// Keras stores gate blocks side by side: columns `[i | f | c | o]`, each `units` wide. To run one
/// timestep on several cores, the units are cut into chunks and each core owns one chunk of every
/// gate: it multiplies h_{t-1} by its own columns of the recurrent kernel and then updates its own
/// units' states, so a step needs one hand-off and each core packs only its share of the weights
/// (OpenBLAS copies the whole right-hand matrix into its panel format on every call; with rows
/// split across cores every core packed all of it, every step). Within a pass the columns are
/// therefore ordered chunk by chunk, `[i₀ f₀ c₀ o₀ | i₁ f₁ c₁ o₁ | …]`; with one chunk this is
/// exactly Keras's order and nothing is copied. Layers with too few units to cut (under 32), or
/// whose activations need whole rows (softmax), split the batch rows instead, in Keras's order.
struct GateLayout {
    /// Number of gate blocks (4 for an LSTM).
    let gates: Int
    /// Width of each gate block (the layer's units).
    let units: Int
    /// Unit ranges owned by each chunk; their widths are multiples of 16 except possibly the last.
    let chunks: [Range<Int>]
    /// Batch-row ranges, one per part when rows are split; else the whole batch.
    let rowRanges: [Range<Int>]

    /// Parts of a step that run concurrently: unit chunks or row ranges (one of the two is single).
    var parts: Int { Swift.max(chunks.count, rowRanges.count) }

    /// The rows and the unit chunk that part `p` owns.
    @inline(__always)
    func part(_ p: Int) -> (rows: Range<Int>, chunk: Int) {
        (rowRanges.count > 1 ? rowRanges[p] : rowRanges[0], chunks.count > 1 ? p : 0)
    }

    /// `gates · units`.
    var columns: Int { gates * units }

    /// True when the order is Keras's own (one chunk).
    var isKerasOrder: Bool { chunks.count == 1 }

    /// Splits a step across the cores when it has enough work (`batch · columns` elements, as
    /// `Parallel.rows` decides): by units when there are at least 32 and the activations may run on
    /// pieces of a row, else by batch rows.
    init(gates: Int, units: Int, batch: Int, elementwise: Bool) {
        self.gates = gates
        self.units = units
        var n = 1, rowParts = 1
        if batch * gates * units >= Parallel.threshold {
            n = elementwise ? Swift.max(1, Swift.min(Parallel.maxChunks, units / 16)) : 1
            if n == 1 { rowParts = Swift.min(Parallel.maxChunks, batch) }
        }
        var bounds = [0]
        for c in 1..<n { bounds.append(units * c / n / 16 * 16) }
        bounds.append(units)
        chunks = (0..<n).map { bounds[$0]..<bounds[$0 + 1] }
        rowRanges = (0..<rowParts).map { (batch * $0 / rowParts)..<(batch * ($0 + 1) / rowParts) }
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
        let out = FloatBuffer(uninitialized: rows * columns), n = columns   // the blocks cover every column
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
        let n = columns, sums = FloatBuffer(uninitialized: n), ones = [Float](repeating: 1, count: rows)
        ones.withUnsafeBufferPointer { o in
            BLAS.gemm(m: 1, n: n, k: rows, a: o.baseAddress!, lda: rows, b: dz, ldb: n, beta: 0, c: sums.p, ldc: n)
        }
        accumulate(sums.p, rows: 1, into: p)
    }

    /// `out = Σ_g (dz[:, gate g] · w[:, gate g]ᵀ) ⊙ mask_g`: (m, columns)·(columns, k) → (m, k), dz and w
    /// in this layout (w's rows are the k output columns, row stride `columns`). `mask` is
    /// (groups, maskRows, maskStride) or nil; output row r, column j uses mask row `maskRow(r)`, column
    /// `maskColumn + j`. `out` has row stride `ldo` (k when nil).
    func inputGradient(groups: Int, m: Int, k: Int, dz: UnsafePointer<Float>, lddz: Int, w: UnsafePointer<Float>,
                       mask: [Float]?, maskRows: Int, maskRow: (Int) -> Int, maskStride: Int? = nil, maskColumn: Int = 0,
                       out: UnsafeMutablePointer<Float>, ldo: Int? = nil) {
        let ldo = ldo ?? k, ms = maskStride ?? k
        if groups == 1 {
            // One mask group: the gate order does not matter as long as dz and w share it.
            BLAS.gemm(transB: true, m: m, n: k, k: columns, a: dz, lda: lddz, b: w, ldb: columns, beta: 0, c: out, ldc: ldo,
                      split: .n)
            if let mask {
                for r in 0..<m {
                    let mr = maskRow(r) * ms + maskColumn
                    for j in 0..<k { out[r * ldo + j] *= mask[mr + j] }
                }
            }
            return
        }
        for r in 0..<m { (out + r * ldo).update(repeating: 0, count: k) }
        let tmp = FloatBuffer(uninitialized: m * k)
        for g in 0..<gates {
            // Gate g's columns lie in every chunk's block.
            for c in chunks.indices {
                let col = offset(chunk: c, gate: g)
                BLAS.gemm(transB: true, m: m, n: k, k: chunks[c].count, a: dz + col, lda: lddz, b: w + col, ldb: columns,
                          beta: c == 0 ? 0 : 1, c: tmp.p, ldc: k)
            }
            let base = g * maskRows * ms
            for r in 0..<m {
                let mr = base + maskRow(r) * ms + maskColumn
                for j in 0..<k { out[r * ldo + j] += tmp.p[r * k + j] * (mask?[mr + j] ?? 1) }
            }
        }
    }

    /// Runs `body(rows, chunk)` for every part, concurrently when there are several.
    @inline(__always)
    func run(_ body: (Range<Int>, Int) -> Void) {
        Parallel.run(parts) { p in
            let (rows, chunk) = part(p)
            body(rows, chunk)
        }
    }
}
