/// Long short-term memory layer with Keras's equations, weights layout and options.
///
/// Per step, with gate blocks in the order i, f, c, o along the last axis of the weights:
/// `z = x·kernel + h·recurrentKernel + bias`, `i = σ(z_i)`, `f = σ(z_f)`, `g = act(z_c)`,
/// `o = σ(z_o)`, `c' = f⊙c + i⊙g`, `h' = o⊙act(c')` (σ = `recurrentActivation`, act = `activation`).
/// Weights: kernel (d, 4u) glorot-uniform, recurrentKernel (u, 4u) orthogonal, bias (4u) zeros with
/// the forget slice 1.0 when `unitForgetBias` (other initializers via `kernelInitializer:` etc.; with
/// `unitForgetBias` the bias initializer fills the i slice and the c, o slices, as Keras calls it).
/// `kernelRegularizer:` etc. add penalties to the training loss; `kernelConstraint:` etc. project the
/// weights after each optimizer step. Params `4u(d + u + 1)`.
/// x: (B, T, d) → (B, T, u) with `returnSequences`, else (B, u); `returnState` adds h, c: (B, u) each.
public final class LSTM: Recurrent {
    /// Used for the candidate and the output (tanh by default; Keras's `activation`).
    public let activation: Activation
    /// Used for the i, f, o gates (sigmoid by default).
    public let recurrentActivation: Activation
    /// Whether the layer has a bias.
    public let useBias: Bool
    /// Initialise the forget-gate bias to 1.
    public let unitForgetBias: Bool
    private(set) var kernel: Parameter!
    private(set) var recurrentKernel: Parameter!
    private(set) var bias: Parameter?

    override var stateCount: Int { 2 }
    override var dropoutMaskGroups: Int { recurrentDropout > 0 ? 4 : 1 }

    /// An LSTM with `units` hidden units; arguments as in Keras (camelCase).
    public init(units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
                useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform,
                recurrentInitializer: Initializer = .orthogonal, biasInitializer: Initializer = .zeros,
                unitForgetBias: Bool = true, kernelRegularizer: Regularizer? = nil, recurrentRegularizer: Regularizer? = nil,
                biasRegularizer: Regularizer? = nil, kernelConstraint: Constraint? = nil, recurrentConstraint: Constraint? = nil,
                biasConstraint: Constraint? = nil, returnSequences: Bool = false,
                returnState: Bool = false, goBackwards: Bool = false, stateful: Bool = false,
                dropout: Float = 0, recurrentDropout: Float = 0, inputShape: [Int?]? = nil, name: String? = nil) {
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.useBias = useBias
        self.unitForgetBias = unitForgetBias
        super.init(units: units, returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                   stateful: stateful, dropout: dropout, recurrentDropout: recurrentDropout,
                   weights: (WeightOptions(kernelInitializer, kernelRegularizer, kernelConstraint),
                             WeightOptions(recurrentInitializer, recurrentRegularizer, recurrentConstraint),
                             WeightOptions(biasInitializer, biasRegularizer, biasConstraint)),
                   inputShape: inputShape, name: name, defaultPrefix: "lstm")
    }

    /// Rebuilds an LSTM from its config.
    convenience init(config c: LayerConfig) throws {
        let k = try WeightOptions(config: c, prefix: "kernel", default: .glorotUniform)
        let r = try WeightOptions(config: c, prefix: "recurrent", default: .orthogonal)
        let b = try WeightOptions(config: c, prefix: "bias", default: .zeros)
        self.init(units: try c.int("units"), activation: try c.activation("activation", default: .tanh),
                  recurrentActivation: try c.activation("recurrent_activation", default: .sigmoid),
                  useBias: try c.bool("use_bias", default: true),
                  kernelInitializer: k.initializer, recurrentInitializer: r.initializer, biasInitializer: b.initializer,
                  unitForgetBias: try c.bool("unit_forget_bias", default: true),
                  kernelRegularizer: k.regularizer, recurrentRegularizer: r.regularizer, biasRegularizer: b.regularizer,
                  kernelConstraint: k.constraint, recurrentConstraint: r.constraint, biasConstraint: b.constraint,
                  returnSequences: try c.bool("return_sequences", default: false),
                  returnState: try c.bool("return_state", default: false), goBackwards: try c.bool("go_backwards", default: false),
                  stateful: try c.bool("stateful", default: false), dropout: Float(try c.double("dropout", default: 0)),
                  recurrentDropout: Float(try c.double("recurrent_dropout", default: 0)),
                  inputShape: try c.shape("input_shape"), name: c.name)
    }

    public override var className: String { "LSTM" }

    override var configValues: [String: ConfigValue] {
        recurrentConfig.merging([
            "activation": .string(activation.rawValue), "recurrent_activation": .string(recurrentActivation.rawValue),
            "use_bias": .bool(useBias), "unit_forget_bias": .bool(unitForgetBias),
        ]) { $1 }
    }

    override func build(_ inputShapes: [[Int?]]) throws {
        let d = inputShapes[0][2]!, u = units
        try checkParameterCount([[d, 4, u], [u, 4, u], useBias ? [4, u] : [0]])
        try validateWeightOptions("kernel", shape: [d, 4 * u], initializer: kernelInitializer, regularizer: kernelRegularizer, constraint: kernelConstraint)
        try validateWeightOptions("recurrent", shape: [u, 4 * u], initializer: recurrentInitializer, regularizer: recurrentRegularizer, constraint: recurrentConstraint)
        try validateWeightOptions("bias", shape: [4 * u], initializer: biasInitializer, regularizer: biasRegularizer, constraint: biasConstraint)
        kernel = addParameter("kernel", try kernelInitializer.make([d, 4 * u]), regularizer: kernelRegularizer, constraint: kernelConstraint)
        recurrentKernel = addParameter("recurrent_kernel", try recurrentInitializer.make([u, 4 * u]),
                                       regularizer: recurrentRegularizer, constraint: recurrentConstraint)
        // The step loop splits these two matrices' products by rows (`WeightRows`).
        kernel.ownedByRows = true
        recurrentKernel.ownedByRows = true
        if useBias {
            let b: Tensor
            if unitForgetBias {
                // Keras: concat(bias_initializer((u,)), ones((u,)), bias_initializer((2u,))).
                b = try Tensor.concatenated([biasInitializer.make([u]), .ones([u]), biasInitializer.make([2 * u])], axis: 0)
            } else {
                b = try biasInitializer.make([4 * u])
            }
            bias = addParameter("bias", b, regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    // x: (B, T, d), initial [h0, c0]: (B, u) → sequence (B, T, u), finals [h, c].
    //
    // Gate pre-activations z are kept in the pass's `GateLayout` (Keras's [i f c o] order, or chunk by
    // chunk when a step's units are split across cores). Inside `GradientMode.withoutGradients` the
    // caches only the backward pass reads (h_{t-1} and c_{t-1} per step, act(c_t)) are not kept.
    override func recurrence(x: Tensor, initial: [Tensor], mask: Tensor?,
                             inputDropMask: Tensor?, recurrentDropMask: Tensor?, initialGradient: Bool = true) -> RecurrenceResult {
        if mask == nil, inputDropMask == nil, recurrentDropMask == nil, let r = oneDNNRecurrence(x: x, initial: initial) {
            return r
        }
        let B = x.shape[0], T = x.shape[1], D = x.shape[2], U = units, G = 4 * U
        let act = activation, ra = recurrentActivation
        let kernel = self.kernel!, recurrentKernel = self.recurrentKernel!, bias = self.bias
        let keep = GradientMode.isEnabled
        // The default cell (and the tutorials' relu one) runs each row through one vectorised C kernel.
        let fused = ra == .sigmoid && (act == .tanh || act == .relu)
        let layout = GateLayout(gates: 4, units: U, batch: B, elementwise: act.isElementwise && ra.isElementwise)
        // Weights in the pass's column order (nil: Keras's own order, used in place).
        let kernelCols = layout.reordered(kernel.value, rows: D)
        let recurrentCols = layout.reordered(recurrentKernel.value, rows: U)
        // Dropout masks: (groups, B, D) and (groups, B, U), one group, or one per gate (Keras with recurrentDropout).
        let inGroups = inputDropMask?.shape[0] ?? 1, recGroups = recurrentDropMask?.shape[0] ?? 1
        // On the multi-core path with one mask group per input, row (b, t) of one buffer holds
        // [x_t ⊙ mask, h_{t-1} ⊙ mask] (B·T, D + U): the backward pass then gets both weight gradients
        // from one product, packing dz only once.
        let joint = keep && layout.parts > 1 && inGroups == 1 && recGroups == 1
        let xh: FloatBuffer? = joint ? FloatBuffer(uninitialized: B * T * (D + U)) : nil
        // Otherwise x ⊙ mask_g per group: (groups, B, T, D); without input dropout x itself is used.
        let xd: FloatBuffer? = joint || inputDropMask == nil ? nil : FloatBuffer(uninitialized: inGroups * B * T * D)
        x.withUnsafeBufferPointer { xp in
            let m = inputDropMask?.scalars
            if let xh {
                for r in 0..<(B * T) {
                    let dst = xh.p + r * (D + U), b = r / T
                    dst.update(from: xp.baseAddress! + r * D, count: D)
                    if let m { for k in 0..<D { dst[k] *= m[b * D + k] } }
                }
            } else if let xd, let m {
                for g in 0..<inGroups {
                    let dst = xd.p + g * B * T * D
                    dst.update(from: xp.baseAddress!, count: B * T * D)
                    for b in 0..<B { for t in 0..<T { for k in 0..<D { dst[(b * T + t) * D + k] *= m[(g * B + b) * D + k] } } }
                }
            }
        }
        let ldx = joint ? D + U : D
        func withInput<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
            if let xh { return body(xh.p) }
            if let xd { return body(xd.p) }
            return x.withUnsafeBufferPointer { body($0.baseAddress!) }
        }
        // Pre-activations, then gate values: (B, T, 4U), in the pass's column order; the bias is added
        // per step, after both products (Keras's order: x·kernel + h·recurrentKernel + bias).
        let z = FloatBuffer(uninitialized: B * T * G)
        let biasCols: FloatBuffer? = bias.map { b in layout.reordered(b.value, rows: 1) ?? FloatBuffer(copying: b.value) }
        // h_{t-1} ⊙ recurrent mask_g, the left operand of step t's product: every step's when the backward
        // pass needs them, (groups, B, T, U) or inside `xh`; else two alternating slots, (groups, 2, B, U).
        let hPrev = FloatBuffer(uninitialized: joint ? 0 : keep ? recGroups * B * T * U : recGroups * 2 * B * U)
        let ldh = joint ? T * (D + U) : keep ? T * U : U
        @inline(__always) func hSlot(_ g: Int, _ s: Int) -> UnsafeMutablePointer<Float> {
            if let xh { return xh.p + s * (D + U) + D }
            return keep ? hPrev.p + g * B * T * U + s * U : hPrev.p + (g * 2 + (s & 1)) * B * U
        }
        // Written for every step before it is read (tc: unmasked steps only, and only those are read).
        let cPrev = FloatBuffer(uninitialized: keep ? B * T * U : 0)    // c_{t-1}: (B, T, U)
        let tc = FloatBuffer(uninitialized: keep ? B * T * U : B * U)   // act(c_t): (B, T, U), or this step's: (B, U)
        // Outputs: (B, T, U); every element is written unless a mask leaves a first step's output zero.
        let out = mask == nil ? FloatBuffer(uninitialized: B * T * U) : FloatBuffer(B * T * U)
        let h = FloatBuffer(copying: initial[0]), c = FloatBuffer(copying: initial[1])   // (B, U)
        let maskP: [Float]? = mask?.scalars
        let rmask: [Float]? = recurrentDropMask?.scalars
        for g in 0..<recGroups {
            for b in 0..<B {
                let hp = hSlot(g, 0) + b * ldh
                hp.update(from: h.p + b * U, count: U)
                if let rmask { for k in 0..<U { hp[k] *= rmask[(g * B + b) * U + k] } }
            }
        }
        if keep { for b in 0..<B { (cPrev.p + b * T * U).update(from: c.p + b * U, count: U) } }

        // z = x_g · kernel for all steps at once: (BT, D)·(D, 4U).
        layout.withColumns(kernel.value, kernelCols) { w in withInput { xin in
            if inGroups == 1 {
                BLAS.gemm(m: B * T, n: G, k: D, a: xin, lda: ldx, b: w, ldb: G, beta: 0, c: z.p, ldc: G, split: .k)
            } else {
                for blk in layout.blocks {
                    BLAS.gemm(m: B * T, n: blk.width, k: D, a: xin + blk.gate * B * T * D, lda: D, b: w + blk.column, ldb: G,
                              beta: 0, c: z.p + blk.column, ldc: G)
                }
            }
        } }
        let biasP: UnsafePointer<Float>? = biasCols.map { UnsafePointer($0.p) }
        layout.withColumns(recurrentKernel.value, recurrentCols) { uw in
            for s in 0..<T {
                // Each part owns some batch rows and units lo..<lo+w of every gate: its product, activations
                // and state updates.
                layout.run { rows, chunk in
                    let lo = layout.chunks[chunk].lowerBound, w = layout.chunks[chunk].count
                    let col = layout.offset(chunk: chunk, gate: 0), r0 = rows.lowerBound
                    // z_s[rows, chunk] += h_{s-1} · recurrentKernel[:, chunk]: (rows, U)·(U, 4w), rows strided by T.
                    if recGroups == 1 {
                        BLAS.gemm(m: rows.count, n: 4 * w, k: U, a: hSlot(0, s) + r0 * ldh, lda: ldh, b: uw + col, ldb: G,
                                  beta: 1, c: z.p + (r0 * T + s) * G + col, ldc: T * G, split: .k)
                    } else {
                        for g in 0..<4 {
                            BLAS.gemm(m: rows.count, n: w, k: U, a: hSlot(g, s) + r0 * ldh, lda: ldh, b: uw + col + g * w,
                                      ldb: G, beta: 1, c: z.p + (r0 * T + s) * G + col + g * w, ldc: T * G)
                        }
                    }
                    for b in rows {
                        let r = b * T + s, zp = z.p + r * G + col
                        let op = out.p + r * U + lo, cb = c.p + b * U + lo, hb = h.p + b * U + lo
                        let tcp = keep ? tc.p + r * U + lo : tc.p + b * U + lo
                        if let maskP, maskP[r] == 0 {
                            // Masked step: states stay, the output repeats the previous output (its gates are
                            // never read).
                            if s > 0 { op.update(from: out.p + (r - 1) * U + lo, count: w) }
                        } else if fused {
                            Kernels.lstmForwardRow(z: zp, bias: biasP.map { $0 + col }, c: cb, tc: tcp, h: hb, out: op,
                                                   width: w, relu: act == .relu)
                        } else {
                            if let biasP { for k in 0..<(4 * w) { zp[k] += biasP[col + k] } }
                            ra.apply(zp, count: 2 * w, rowLength: 2 * w)          // i, f
                            act.apply(zp + 2 * w, count: w, rowLength: w)         // g
                            ra.apply(zp + 3 * w, count: w, rowLength: w)          // o
                            for k in 0..<w {
                                let cn = zp[w + k] * cb[k] + zp[k] * zp[2 * w + k]
                                cb[k] = cn; tcp[k] = cn
                            }
                            act.apply(tcp, count: w, rowLength: w)
                            for k in 0..<w { hb[k] = zp[3 * w + k] * tcp[k]; op[k] = hb[k] }
                        }
                        if s + 1 < T {
                            // This part's share of the next step's left operand (and cached c_s).
                            for g in 0..<recGroups {
                                let hp = hSlot(g, s + 1) + b * ldh + lo
                                hp.update(from: hb, count: w)
                                if let rmask { for k in 0..<w { hp[k] *= rmask[(g * B + b) * U + lo + k] } }
                            }
                            if keep { (cPrev.p + (r + 1) * U + lo).update(from: cb, count: w) }
                        }
                    }
                }
            }
        }

        let sequence = out.tensor([B, T, U])
        let finals = [h.tensor([B, U]), c.tensor([B, U])]
        let name = self.name
        return RecurrenceResult(sequence: sequence, finalStates: finals) { dSeq, dFinal in
            precondition(keep, "internal: LSTM '\(name)' was run without gradient caches and cannot pull back")
            let dh = dFinal[0].map { FloatBuffer(copying: $0) } ?? FloatBuffer(B * U)
            let dc = dFinal[1].map { FloatBuffer(copying: $0) } ?? FloatBuffer(B * U)
            let dhNew = FloatBuffer(uninitialized: B * U), dCarry = FloatBuffer(B * U), dtc = FloatBuffer(uninitialized: B * U)
            // Rows of masked steps stay zero; every other row is written.
            let dz = maskP == nil ? FloatBuffer(uninitialized: B * T * G) : FloatBuffer(B * T * G)
            let dOutBuffer = dSeq.map { FloatBuffer(copying: $0) }
            let dOut: UnsafePointer<Float>? = dOutBuffer.map { UnsafePointer($0.p) }
            layout.withColumns(recurrentKernel.value, recurrentCols) { uw in
                // d h_{s-1}[rows, lo..<lo+w] = Σ_g (dz_s,g · recurrentKernel[lo..<lo+w, gate g]ᵀ) ⊙ mask_g; rows
                // whose step s is masked keep their d h (the state passed through unchanged).
                func stateGradient(_ s: Int, _ rows: Range<Int>, _ lo: Int, _ w: Int) {
                    let r0 = rows.lowerBound
                    layout.inputGradient(groups: recGroups, m: rows.count, k: w, dz: dz.p + (r0 * T + s) * G, lddz: T * G,
                                         w: uw + lo * G, mask: rmask, maskRows: B, maskRow: { r0 + $0 }, maskStride: U,
                                         maskColumn: lo, out: dhNew.p + r0 * U + lo, ldo: U)
                    for b in rows {
                        if let maskP, maskP[b * T + s] == 0 { continue }
                        (dh.p + b * U + lo).update(from: dhNew.p + b * U + lo, count: w)
                    }
                }
                for s in stride(from: T - 1, through: 0, by: -1) {
                    layout.run { rows, chunk in
                        let lo = layout.chunks[chunk].lowerBound, w = layout.chunks[chunk].count
                        let col = layout.offset(chunk: chunk, gate: 0)
                        if s + 1 < T { stateGradient(s + 1, rows, lo, w) }
                        for b in rows {
                            let r = b * T + s, dtcp = dtc.p + b * U + lo
                            let dhb = dh.p + b * U + lo, carry = dCarry.p + b * U + lo
                            let masked = maskP.map { $0[r] == 0 } ?? false
                            if fused && !masked {
                                Kernels.lstmBackwardRow(z: z.p + r * G + col, tc: tc.p + r * U + lo, cPrev: cPrev.p + r * U + lo,
                                                        dOut: dOut.map { $0 + r * U + lo }, dh: dhb, carry: carry,
                                                        dc: dc.p + b * U + lo, dz: dz.p + r * G + col, width: w,
                                                        relu: act == .relu)
                                continue
                            }
                            if let dOut { for k in 0..<w { carry[k] += dOut[r * U + lo + k] } }
                            if masked { continue }   // the output gradient flows on to the previous output
                            for k in 0..<w { dhb[k] += carry[k]; carry[k] = 0 }
                            let zp = z.p + r * G + col, dzp = dz.p + r * G + col
                            let tcp = tc.p + r * U + lo, cp = cPrev.p + r * U + lo, dcb = dc.p + b * U + lo
                            for k in 0..<w { dzp[3 * w + k] = dhb[k] * tcp[k]; dtcp[k] = dhb[k] * zp[3 * w + k] }
                            act.backward(output: tcp, grad: dtcp, count: w, rowLength: w)
                            for k in 0..<w {
                                let dck = dcb[k] + dtcp[k]
                                dzp[k] = dck * zp[2 * w + k]          // d i
                                dzp[w + k] = dck * cp[k]              // d f
                                dzp[2 * w + k] = dck * zp[k]          // d g
                                dcb[k] = dck * zp[w + k]              // d c_{s-1}
                            }
                            ra.backward(output: zp, grad: dzp, count: 2 * w, rowLength: 2 * w)
                            act.backward(output: zp + 2 * w, grad: dzp + 2 * w, count: w, rowLength: w)
                            ra.backward(output: zp + 3 * w, grad: dzp + 3 * w, count: w, rowLength: w)
                        }
                    }
                }
                // d h_{-1}: only when the initial states were inputs (it is one more (B, 4U)·(4U, U) product).
                if initialGradient {
                    layout.run { rows, chunk in stateGradient(0, rows, layout.chunks[chunk].lowerBound, layout.chunks[chunk].count) }
                }
            }
            // Weight gradients over all steps at once: (D, BT)·(BT, 4U) and (U, BT)·(BT, 4U), or both as
            // [x, h_{t-1}]ᵀ·dz: (D + U, BT)·(BT, 4U).
            if let xh {
                let both = FloatBuffer(uninitialized: (D + U) * G)
                BLAS.gemm(transA: true, m: D + U, n: G, k: B * T, a: xh.p, lda: D + U, b: dz.p, ldb: G, beta: 0, c: both.p, ldc: G)
                layout.accumulate(both.p, rows: D, into: kernel)
                layout.accumulate(both.p + D * G, rows: U, into: recurrentKernel)
            } else {
                withInput { xin in
                    layout.accumulateWeightGradient(groups: inGroups, k: D, rows: B * T, a: xin, lda: D, groupStride: B * T * D,
                                                    dz: dz.p, into: kernel)
                }
                layout.accumulateWeightGradient(groups: recGroups, k: U, rows: B * T, a: hPrev.p, lda: U, groupStride: B * T * U,
                                                dz: dz.p, into: recurrentKernel)
            }
            if let bias { layout.accumulateBiasGradient(dz: dz.p, rows: B * T, into: bias) }
            // dx = Σ_g (dz_g · kernel_gᵀ) ⊙ mask_g: (BT, 4U)·(4U, D); row (b, t) uses mask row b.
            let dx = FloatBuffer(uninitialized: B * T * D)
            layout.withColumns(kernel.value, kernelCols) { w in
                layout.inputGradient(groups: inGroups, m: B * T, k: D, dz: dz.p, lddz: G, w: w, mask: inputDropMask?.scalars,
                                     maskRows: B, maskRow: { $0 / T }, out: dx.p)
            }
            return (dx.tensor([B, T, D]), [dh.tensor([B, U]), dc.tensor([B, U])])
        }
    }

    /// Keras's fused-kernel case (sigmoid gates, tanh) through oneDNN, when it can serve it; nil otherwise.
    private func oneDNNRecurrence(x: Tensor, initial: [Tensor]) -> RecurrenceResult? {
        guard OneDNN.isActive, activation == .tanh, recurrentActivation == .sigmoid,
              OneDNN.worthIt(batch: x.shape[0], steps: x.shape[1], inputs: x.shape[2], units: units, gates: 4)
        else { return nil }
        let kernel = self.kernel!, recurrentKernel = self.recurrentKernel!, bias = self.bias
        let training = GradientMode.isEnabled
        guard let f = OneDNN.forward(cell: .lstm, training: training, x: x, h0: initial[0], c0: initial[1],
                                     kernel: kernel, recurrent: recurrentKernel, bias: bias?.value.scalars)
        else { return nil }
        let name = self.name
        return RecurrenceResult(sequence: f.sequence, finalStates: [f.h, f.c!]) { dSeq, dFinal in
            guard let tape = f.tape else {
                preconditionFailure("internal: LSTM '\(name)' was run without gradient caches and cannot pull back")
            }
            func pull(_ biasGrad: UnsafeMutablePointer<Float>?) -> (dx: Tensor, dh0: Tensor, dc0: Tensor?) {
                OneDNN.backward(tape, kernel: kernel, recurrent: recurrentKernel, bias: bias?.value.scalars, biasGrad: biasGrad,
                                dSequence: dSeq, dh: dFinal[0], dc: dFinal[1])
            }
            let g = bias.map { b in b.grad.withUnsafeMutableBufferPointer { pull($0.baseAddress) } } ?? pull(nil)
            return (g.dx, [g.dh0, g.dc0!])
        }
    }
}
