/// Gated recurrent unit with Keras's equations and weight layout (gate blocks z, r, h).
///
/// `resetAfter` (default, Keras 3 / cuDNN style), bias (2, 3u) = [input bias; recurrent bias]:
/// `z = σ(x·W_z + b_z + h·U_z + b'_z)`, `r = σ(x·W_r + b_r + h·U_r + b'_r)`,
/// `ĥ = act(x·W_h + b_h + r ⊙ (h·U_h + b'_h))`, `h' = z ⊙ h + (1 − z) ⊙ ĥ`.
/// Without `resetAfter`, bias (3u) and `ĥ = act(x·W_h + b_h + (r ⊙ h)·U_h)`.
/// Params `3u(d + u + 2)` (resetAfter) or `3u(d + u + 1)`. Shapes as for `LSTM`; states `[h]`.
public final class GRU: Recurrent {
    /// Candidate activation (tanh by default).
    public let activation: Activation
    /// Gate activation (sigmoid by default).
    public let recurrentActivation: Activation
    /// Whether the layer has biases.
    public let useBias: Bool
    /// Apply the reset gate after the recurrent matrix product (Keras 3 default).
    public let resetAfter: Bool
    private(set) var kernel: Parameter!
    private(set) var recurrentKernel: Parameter!
    private(set) var bias: Parameter?

    /// A GRU with `units` hidden units; arguments as in Keras (camelCase).
    public init(units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
                useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform,
                recurrentInitializer: Initializer = .orthogonal, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, recurrentRegularizer: Regularizer? = nil,
                biasRegularizer: Regularizer? = nil, kernelConstraint: Constraint? = nil, recurrentConstraint: Constraint? = nil,
                biasConstraint: Constraint? = nil, resetAfter: Bool = true, returnSequences: Bool = false,
                returnState: Bool = false, goBackwards: Bool = false, stateful: Bool = false,
                dropout: Float = 0, recurrentDropout: Float = 0, inputShape: [Int?]? = nil, name: String? = nil) {
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.useBias = useBias
        self.resetAfter = resetAfter
        super.init(units: units, returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                   stateful: stateful, dropout: dropout, recurrentDropout: recurrentDropout,
                   weights: (WeightOptions(kernelInitializer, kernelRegularizer, kernelConstraint),
                             WeightOptions(recurrentInitializer, recurrentRegularizer, recurrentConstraint),
                             WeightOptions(biasInitializer, biasRegularizer, biasConstraint)),
                   inputShape: inputShape, name: name, defaultPrefix: "gru")
    }

    convenience init(config c: LayerConfig) throws {
        let k = try WeightOptions(config: c, prefix: "kernel", default: .glorotUniform)
        let r = try WeightOptions(config: c, prefix: "recurrent", default: .orthogonal)
        let b = try WeightOptions(config: c, prefix: "bias", default: .zeros)
        self.init(units: try c.int("units"), activation: try c.activation("activation", default: .tanh),
                  recurrentActivation: try c.activation("recurrent_activation", default: .sigmoid),
                  useBias: try c.bool("use_bias", default: true),
                  kernelInitializer: k.initializer, recurrentInitializer: r.initializer, biasInitializer: b.initializer,
                  kernelRegularizer: k.regularizer, recurrentRegularizer: r.regularizer, biasRegularizer: b.regularizer,
                  kernelConstraint: k.constraint, recurrentConstraint: r.constraint, biasConstraint: b.constraint,
                  resetAfter: try c.bool("reset_after", default: true),
                  returnSequences: try c.bool("return_sequences", default: false),
                  returnState: try c.bool("return_state", default: false), goBackwards: try c.bool("go_backwards", default: false),
                  stateful: try c.bool("stateful", default: false), dropout: Float(try c.double("dropout", default: 0)),
                  recurrentDropout: Float(try c.double("recurrent_dropout", default: 0)),
                  inputShape: try c.shape("input_shape"), name: c.name)
    }

    public override var className: String { "GRU" }
    override var dropoutMaskGroups: Int { recurrentDropout > 0 ? 3 : 1 }

    override var configValues: [String: ConfigValue] {
        recurrentConfig.merging([
            "activation": .string(activation.rawValue), "recurrent_activation": .string(recurrentActivation.rawValue),
            "use_bias": .bool(useBias), "reset_after": .bool(resetAfter),
        ]) { $1 }
    }

    override func build(_ inputShapes: [[Int?]]) throws {
        let d = inputShapes[0][2]!, u = units
        try checkParameterCount([[d, 3, u], [u, 3, u], useBias ? [resetAfter ? 2 : 1, 3, u] : [0]])
        try validateWeightOptions("kernel", shape: [d, 3 * u], initializer: kernelInitializer, regularizer: kernelRegularizer, constraint: kernelConstraint)
        try validateWeightOptions("recurrent", shape: [u, 3 * u], initializer: recurrentInitializer, regularizer: recurrentRegularizer, constraint: recurrentConstraint)
        try validateWeightOptions("bias", shape: resetAfter ? [2, 3 * u] : [3 * u], initializer: biasInitializer, regularizer: biasRegularizer, constraint: biasConstraint)
        kernel = addParameter("kernel", try kernelInitializer.make([d, 3 * u]), regularizer: kernelRegularizer, constraint: kernelConstraint)
        recurrentKernel = addParameter("recurrent_kernel", try recurrentInitializer.make([u, 3 * u]),
                                       regularizer: recurrentRegularizer, constraint: recurrentConstraint)
        kernel.ownedByRows = true   // their products are split by rows (`WeightRows`)
        recurrentKernel.ownedByRows = true
        if useBias {
            bias = addParameter("bias", try biasInitializer.make(resetAfter ? [2, 3 * u] : [3 * u]), regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    // x: (B, T, d), initial [h0]: (B, u) → sequence (B, T, u), finals [h].
    override func recurrence(x: Tensor, initial: [Tensor], mask: Tensor?,
                             inputDropMask: Tensor?, recurrentDropMask: Tensor?, initialGradient: Bool = true) -> RecurrenceResult {
        if mask == nil, inputDropMask == nil, recurrentDropMask == nil, let r = oneDNNRecurrence(x: x, initial: initial) {
            return r
        }
        let B = x.shape[0], T = x.shape[1], D = x.shape[2], U = units, G = 3 * U
        let act = activation, ra = recurrentActivation, resetAfter = self.resetAfter
        let kernel = self.kernel!, recurrentKernel = self.recurrentKernel!, bias = self.bias
        // Dropout masks: (groups, B, D) and (groups, B, U), one group, or one per gate (Keras with recurrentDropout).
        let inGroups = inputDropMask?.shape[0] ?? 1, recGroups = recurrentDropMask?.shape[0] ?? 1
        let gH = recGroups == 1 ? 0 : 2                 // the mask group of the candidate block
        let xd = FloatBuffer(inGroups * B * T * D)      // x ⊙ mask_g per group: (groups, B, T, D)
        x.withUnsafeBufferPointer { xp in
            for g in 0..<inGroups {
                let dst = xd.p + g * B * T * D
                dst.update(from: xp.baseAddress!, count: B * T * D)
                if let m = inputDropMask?.scalars {
                    for b in 0..<B { for t in 0..<T { for k in 0..<D { dst[(b * T + t) * D + k] *= m[(g * B + b) * D + k] } } }
                }
            }
        }
        let xz = FloatBuffer(B * T * G)     // x·W + b_in: (B, T, 3U); after the step: [z, r, ĥ] values
        let rec = FloatBuffer(B * T * G)    // h·U (+ b_rec) per step: (B, T, 3U); reset-before: block h holds (r⊙h)·U_h
        let hPrev = FloatBuffer(recGroups * B * T * U)  // h_{t-1} ⊙ recurrent mask_g: (groups, B, T, U)
        let rh = FloatBuffer(resetAfter ? 0 : B * T * U)   // r ⊙ h_{t-1} (reset-before only)
        let out = FloatBuffer(B * T * U)
        let h = FloatBuffer(copying: initial[0])
        let maskP: [Float]? = mask?.scalars
        let rmask: [Float]? = recurrentDropMask?.scalars
        let hRaw = FloatBuffer(rmask == nil ? 0 : B * T * U)   // undropped h_{t-1}, for z ⊙ h (recurrent dropout only)
        let bv: [Float]? = bias?.value.scalars

        if let bv { for r in 0..<(B * T) { for j in 0..<G { xz.p[r * G + j] = bv[j] } } }
        kernel.value.withUnsafeBufferPointer { w in
            GateProducts.forward(groups: inGroups, gates: 3, width: U, m: B * T, k: D, a: xd.p, lda: D, groupStride: B * T * D,
                                 w: w.baseAddress!, beta: bv == nil ? 0 : 1, c: xz.p, ldc: G)
        }
        recurrentKernel.value.withUnsafeBufferPointer { uwb in
            let uw = uwb.baseAddress!
            for s in 0..<T {
                // Batch rows are independent within a step: each chunk runs its own products and updates.
                Parallel.rows(B, elementsPerRow: G) { rows, _ in
                    let r0 = rows.lowerBound * T + s
                    for b in rows {
                        let r = b * T + s
                        if rmask != nil { (hRaw.p + r * U).update(from: h.p + b * U, count: U) }
                        for g in 0..<recGroups {
                            let hp = hPrev.p + (g * B * T + r) * U
                            hp.update(from: h.p + b * U, count: U)
                            if let rmask { for k in 0..<U { hp[k] *= rmask[(g * B + b) * U + k] } }
                        }
                        if resetAfter, let bv { for j in 0..<G { rec.p[r * G + j] = bv[G + j] } }
                    }
                    // rec_s = h_{s-1}·U (+ b_rec): all three blocks (reset-after) or z, r only (reset-before).
                    GateProducts.forward(groups: resetAfter || recGroups == 1 ? recGroups : 2, gates: resetAfter ? 3 : 2, width: U,
                                         m: rows.count, k: U, a: hPrev.p + r0 * U, lda: T * U, groupStride: B * T * U, w: uw, ldw: G,
                                         beta: resetAfter && bv != nil ? 1 : 0, c: rec.p + r0 * G, ldc: T * G)
                    for b in rows {
                        let r = b * T + s, zp = xz.p + r * G, rp = rec.p + r * G
                        for k in 0..<(2 * U) { zp[k] += rp[k] }
                        ra.apply(zp, count: 2 * U, rowLength: 2 * U)                  // z, r
                        if resetAfter { for k in 0..<U { zp[2 * U + k] += zp[U + k] * rp[2 * U + k] } }
                        else { for k in 0..<U { rh.p[r * U + k] = zp[U + k] * hPrev.p[(gH * B * T + r) * U + k] } }
                    }
                    if !resetAfter {
                        // (r ⊙ h)·U_h: (B, U)·(U, U) into block h of rec, then added to the candidate.
                        BLAS.gemm(m: rows.count, n: U, k: U, a: rh.p + r0 * U, lda: T * U, b: uw + 2 * U, ldb: G,
                                  beta: 0, c: rec.p + r0 * G + 2 * U, ldc: T * G, split: .k)
                        for b in rows { let r = b * T + s; for k in 0..<U { xz.p[r * G + 2 * U + k] += rec.p[r * G + 2 * U + k] } }
                    }
                    for b in rows {
                        let r = b * T + s, zp = xz.p + r * G, op = out.p + r * U, hb = h.p + b * U
                        act.apply(zp + 2 * U, count: U, rowLength: U)                   // ĥ
                        if let maskP, maskP[r] == 0 {
                            if s > 0 { op.update(from: out.p + (r - 1) * U, count: U) }
                            continue
                        }
                        for k in 0..<U { hb[k] = zp[k] * hb[k] + (1 - zp[k]) * zp[2 * U + k]; op[k] = hb[k] }
                    }
                }
            }
        }
        let sequence = out.tensor([B, T, U])
        return RecurrenceResult(sequence: sequence, finalStates: [h.tensor([B, U])]) { dSeq, dFinal in
            let dh = dFinal[0].map { FloatBuffer(copying: $0) } ?? FloatBuffer(B * U)
            let dCarry = FloatBuffer(B * U), dhNew = FloatBuffer(B * U)
            let dX = FloatBuffer(B * T * G)     // d(x·W + b_in)
            let dR = FloatBuffer(B * T * G)     // d(rec) (reset-after: all blocks; before: z, r, and d((r⊙h)·U_h))
            let dRH = FloatBuffer(resetAfter ? 0 : B * U)
            let dOut: [Float]? = dSeq?.scalars
            recurrentKernel.value.withUnsafeBufferPointer { uwb in
                let uw = uwb.baseAddress!
                for s in stride(from: T - 1, through: 0, by: -1) {
                    Parallel.rows(B, elementsPerRow: G) { rows, _ in
                        let b0 = rows.lowerBound, r0 = b0 * T + s
                        for b in rows {
                            let r = b * T + s, dhb = dh.p + b * U, carry = dCarry.p + b * U
                            if let dOut { for k in 0..<U { carry[k] += dOut[r * U + k] } }
                            if let maskP, maskP[r] == 0 { continue }
                            for k in 0..<U { dhb[k] += carry[k]; carry[k] = 0 }
                            let zp = xz.p + r * G, dxp = dX.p + r * G, drp = dR.p + r * G, hp = (rmask == nil ? hPrev.p : hRaw.p) + r * U
                            for k in 0..<U {
                                dxp[k] = dhb[k] * (hp[k] - zp[2 * U + k])          // d z (pre-derivative)
                                dxp[2 * U + k] = dhb[k] * (1 - zp[k])              // d ĥ
                            }
                            act.backward(output: zp + 2 * U, grad: dxp + 2 * U, count: U, rowLength: U)
                            if resetAfter {
                                for k in 0..<U {
                                    dxp[U + k] = dxp[2 * U + k] * rec.p[r * G + 2 * U + k]   // d r
                                    drp[2 * U + k] = dxp[2 * U + k] * zp[U + k]              // d rec_h
                                }
                            }
                            ra.backward(output: zp, grad: dxp, count: U, rowLength: U)
                            if resetAfter { ra.backward(output: zp + U, grad: dxp + U, count: U, rowLength: U) }
                            for k in 0..<U { drp[k] = dxp[k] }
                            if resetAfter { for k in 0..<U { drp[U + k] = dxp[U + k] } }
                            else { for k in 0..<U { drp[2 * U + k] = dxp[2 * U + k] } }
                        }
                        if !resetAfter {
                            // d(r⊙h) = dĥ_pre · U_hᵀ, then d r and the direct d h share.
                            BLAS.gemm(transB: true, m: rows.count, n: U, k: U, a: dR.p + r0 * G + 2 * U, lda: T * G, b: uw + 2 * U, ldb: G,
                                      beta: 0, c: dRH.p + b0 * U, ldc: U, split: .n)
                            for b in rows {
                                let r = b * T + s
                                if let maskP, maskP[r] == 0 { continue }
                                let zp = xz.p + r * G, dxp = dX.p + r * G
                                for k in 0..<U { dxp[U + k] = dRH.p[b * U + k] * hPrev.p[(gH * B * T + r) * U + k] }
                                ra.backward(output: zp + U, grad: dxp + U, count: U, rowLength: U)
                                for k in 0..<U { dR.p[r * G + U + k] = dxp[U + k] }
                            }
                        }
                        // d h_{s-1} = z ⊙ dh + Σ_g (d rec_g · U_gᵀ) ⊙ mask_g (+ r ⊙ d(r⊙h) ⊙ mask_h for reset-before)
                        GateProducts.inputGradient(groups: resetAfter || recGroups == 1 ? recGroups : 2, gates: resetAfter ? 3 : 2,
                                                   width: U, m: rows.count, k: U, dz: dR.p + r0 * G, lddz: T * G, w: uw, ldw: G,
                                                   mask: rmask, maskRows: B, maskRow: { b0 + $0 }, out: dhNew.p + b0 * U)
                        for b in rows {
                            let r = b * T + s
                            if let maskP, maskP[r] == 0 { continue }
                            let zp = xz.p + r * G, dhb = dh.p + b * U, nb = dhNew.p + b * U
                            if !resetAfter {
                                for k in 0..<U { nb[k] += dRH.p[b * U + k] * zp[U + k] * (rmask?[(gH * B + b) * U + k] ?? 1) }
                            }
                            for k in 0..<U { dhb[k] = dhb[k] * zp[k] + nb[k] }
                        }
                    }
                }
            }
            GateProducts.weightGradient(groups: inGroups, gates: 3, width: U, k: D, rows: B * T, a: xd.p, lda: D,
                                        groupStride: B * T * D, dz: dX.p, lddz: G, into: kernel)
            // Reset-after: every block sees h ⊙ mask_g. Reset-before: z, r see h ⊙ mask_g; block h sees r ⊙ h ⊙ mask_h.
            GateProducts.weightGradient(groups: resetAfter || recGroups == 1 ? recGroups : 2, gates: resetAfter ? 3 : 2, width: U,
                                        k: U, rows: B * T, a: hPrev.p, lda: U, groupStride: B * T * U, dz: dR.p, lddz: G,
                                        into: recurrentKernel, ldg: G)
            if !resetAfter {
                recurrentKernel.grad.withUnsafeMutableBufferPointer { g in
                    BLAS.gemm(transA: true, m: U, n: U, k: B * T, a: rh.p, lda: U, b: dR.p + 2 * U, ldb: G, beta: 1, c: g.baseAddress! + 2 * U, ldc: G,
                              split: .m)
                }
            }
            if let bias {
                bias.accumulateColumnSums(dX.p, rowCount: B * T, stride: G, n: G)
                if resetAfter { bias.accumulateColumnSums(dR.p, rowCount: B * T, stride: G, n: G, gradOffset: G) }
            }
            let dx = FloatBuffer(B * T * D)
            kernel.value.withUnsafeBufferPointer { w in
                GateProducts.inputGradient(groups: inGroups, gates: 3, width: U, m: B * T, k: D, dz: dX.p, lddz: G,
                                           w: w.baseAddress!, mask: inputDropMask?.scalars, maskRows: B, maskRow: { $0 / T },
                                           out: dx.p)
            }
            return (dx.tensor([B, T, D]), [dh.tensor([B, U])])
        }
    }

    /// Keras's fused-kernel case (reset after, sigmoid gates, tanh) through oneDNN's "linear before
    /// reset" GRU, when it can serve it; nil otherwise. oneDNN's bias is (4, u): z and r with the input
    /// and recurrent biases summed (only their sum enters the gates), then the candidate's input bias
    /// and its recurrent bias (applied before r).
    private func oneDNNRecurrence(x: Tensor, initial: [Tensor]) -> RecurrenceResult? {
        guard OneDNN.isActive, resetAfter, activation == .tanh, recurrentActivation == .sigmoid,
              OneDNN.worthIt(batch: x.shape[0], steps: x.shape[1], inputs: x.shape[2], units: units, gates: 3)
        else { return nil }
        let kernel = self.kernel!, recurrentKernel = self.recurrentKernel!, bias = self.bias, U = units
        let fused: [Float]? = bias.map { b in
            let v = b.value.scalars   // (2, 3u): [input z r h; recurrent z r h]
            return (0..<(2 * U)).map { v[$0] + v[3 * U + $0] } + Array(v[(2 * U)..<(3 * U)]) + Array(v[(5 * U)..<(6 * U)])
        }
        let training = GradientMode.isEnabled
        guard let f = OneDNN.forward(cell: .gru, training: training, x: x, h0: initial[0], c0: nil,
                                     kernel: kernel, recurrent: recurrentKernel, bias: fused)
        else { return nil }
        let name = self.name
        return RecurrenceResult(sequence: f.sequence, finalStates: [f.h]) { dSeq, dFinal in
            guard let tape = f.tape else {
                preconditionFailure("internal: GRU '\(name)' was run without gradient caches and cannot pull back")
            }
            var dFused = [Float](repeating: 0, count: 4 * U)
            let g = dFused.withUnsafeMutableBufferPointer { db in
                OneDNN.backward(tape, kernel: kernel, recurrent: recurrentKernel, bias: fused, biasGrad: db.baseAddress,
                                dSequence: dSeq, dh: dFinal[0], dc: nil)
            }
            if let bias {
                // d(sum)/d(each part) = 1: z and r gradients go to both rows.
                bias.grad.withUnsafeMutableBufferPointer { bg in
                    for j in 0..<(2 * U) { bg[j] += dFused[j]; bg[3 * U + j] += dFused[j] }
                    for j in 0..<U { bg[2 * U + j] += dFused[2 * U + j]; bg[5 * U + j] += dFused[3 * U + j] }
                }
            }
            return (g.dx, [g.dh0])
        }
    }
}
