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
    /// Initializer of the input kernel (glorot-uniform by default).
    public var kernelInitializer: Initializer { kernelOptions.initializer }
    /// Initializer of the recurrent kernel (orthogonal by default).
    public var recurrentInitializer: Initializer { recurrentOptions.initializer }
    /// Initializer of the bias (zeros by default).
    public var biasInitializer: Initializer { biasOptions.initializer }
    /// Penalty on the input kernel, if any.
    public var kernelRegularizer: Regularizer? { kernelOptions.regularizer }
    /// Penalty on the recurrent kernel, if any.
    public var recurrentRegularizer: Regularizer? { recurrentOptions.regularizer }
    /// Penalty on the bias, if any.
    public var biasRegularizer: Regularizer? { biasOptions.regularizer }
    /// Projection of the input kernel after each optimizer step, if any.
    public var kernelConstraint: Constraint? { kernelOptions.constraint }
    /// Projection of the recurrent kernel after each optimizer step, if any.
    public var recurrentConstraint: Constraint? { recurrentOptions.constraint }
    /// Projection of the bias after each optimizer step, if any.
    public var biasConstraint: Constraint? { biasOptions.constraint }
    let kernelOptions: WeightOptions, recurrentOptions: WeightOptions, biasOptions: WeightOptions
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
        kernelOptions = WeightOptions(kernelInitializer, kernelRegularizer, kernelConstraint)
        recurrentOptions = WeightOptions(recurrentInitializer, recurrentRegularizer, recurrentConstraint)
        biasOptions = WeightOptions(biasInitializer, biasRegularizer, biasConstraint)
        super.init(units: units, returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                   stateful: stateful, dropout: dropout, recurrentDropout: recurrentDropout,
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
        ]) { $1 }.merging(kernelOptions.config("kernel")) { $1 }.merging(recurrentOptions.config("recurrent")) { $1 }
            .merging(biasOptions.config("bias")) { $1 }
    }

    override func build(_ inputShapes: [[Int?]]) throws {
        let d = inputShapes[0][2]!, u = units
        try validateWeightOptions("kernel", shape: [d, 4 * u], initializer: kernelInitializer, regularizer: kernelRegularizer, constraint: kernelConstraint)
        try validateWeightOptions("recurrent", shape: [u, 4 * u], initializer: recurrentInitializer, regularizer: recurrentRegularizer, constraint: recurrentConstraint)
        try validateWeightOptions("bias", shape: [4 * u], initializer: biasInitializer, regularizer: biasRegularizer, constraint: biasConstraint)
        kernel = addParameter("kernel", kernelInitializer.make([d, 4 * u]), regularizer: kernelRegularizer, constraint: kernelConstraint)
        recurrentKernel = addParameter("recurrent_kernel", recurrentInitializer.make([u, 4 * u]),
                                       regularizer: recurrentRegularizer, constraint: recurrentConstraint)
        if useBias {
            let b: Tensor
            if unitForgetBias {
                // Keras: concat(bias_initializer((u,)), ones((u,)), bias_initializer((2u,))).
                b = try Tensor.concatenated([biasInitializer.make([u]), .ones([u]), biasInitializer.make([2 * u])], axis: 0)
            } else {
                b = biasInitializer.make([4 * u])
            }
            bias = addParameter("bias", b, regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    // x: (B, T, d), initial [h0, c0]: (B, u) → sequence (B, T, u), finals [h, c].
    override func recurrence(x: Tensor, initial: [Tensor], mask: Tensor?,
                             inputDropMask: Tensor?, recurrentDropMask: Tensor?) -> RecurrenceResult {
        let B = x.shape[0], T = x.shape[1], D = x.shape[2], U = units, G = 4 * U
        let act = activation, ra = recurrentActivation
        let kernel = self.kernel!, recurrentKernel = self.recurrentKernel!, bias = self.bias
        // Dropout masks: (groups, B, D) and (groups, B, U), one group, or one per gate (Keras with recurrentDropout).
        let inGroups = inputDropMask?.shape[0] ?? 1, recGroups = recurrentDropMask?.shape[0] ?? 1
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
        let z = FloatBuffer(B * T * G)                   // pre-activations, then gate values: (B, T, 4U)
        let hPrev = FloatBuffer(recGroups * B * T * U)   // h_{t-1} ⊙ recurrent mask_g: (groups, B, T, U)
        let cPrev = FloatBuffer(B * T * U)               // c_{t-1}: (B, T, U)
        let tc = FloatBuffer(B * T * U)                  // act(c_t): (B, T, U)
        let out = FloatBuffer(B * T * U)                 // outputs: (B, T, U)
        let h = FloatBuffer(copying: initial[0]), c = FloatBuffer(copying: initial[1])   // (B, U)
        let maskP: [Float]? = mask?.scalars
        let rmask: [Float]? = recurrentDropMask?.scalars

        if let bias { bias.value.withUnsafeBufferPointer { bp in
            for r in 0..<(B * T) { (z.p + r * G).update(from: bp.baseAddress!, count: G) }
        } }
        kernel.value.withUnsafeBufferPointer { w in
            GateProducts.forward(groups: inGroups, gates: 4, width: U, m: B * T, k: D, a: xd.p, lda: D,
                                 groupStride: B * T * D, w: w.baseAddress!, beta: bias == nil ? 0 : 1, c: z.p, ldc: G)
        }
        recurrentKernel.value.withUnsafeBufferPointer { uw in
            for s in 0..<T {
                // Rows are independent within a step: each chunk of batch rows does its own product and
                // gate updates, so large batches use every core with one hand-off per step.
                Parallel.rows(B, elementsPerRow: G) { rows, _ in
                    for b in rows {
                        for g in 0..<recGroups {
                            let hp = hPrev.p + ((g * B + b) * T + s) * U
                            hp.update(from: h.p + b * U, count: U)
                            if let rmask { for k in 0..<U { hp[k] *= rmask[(g * B + b) * U + k] } }
                        }
                        (cPrev.p + (b * T + s) * U).update(from: c.p + b * U, count: U)
                    }
                    // z_s += h_{s-1} · recurrentKernel: (rows, U)·(U, 4U), rows strided by T.
                    let r0 = rows.lowerBound * T + s
                    GateProducts.forward(groups: recGroups, gates: 4, width: U, m: rows.count, k: U, a: hPrev.p + r0 * U, lda: T * U,
                                         groupStride: B * T * U, w: uw.baseAddress!, beta: 1, c: z.p + r0 * G, ldc: T * G)
                    for b in rows {
                        let r = b * T + s, zp = z.p + r * G
                        ra.apply(zp, count: 2 * U, rowLength: 2 * U)          // i, f
                        act.apply(zp + 2 * U, count: U, rowLength: U)         // g
                        ra.apply(zp + 3 * U, count: U, rowLength: U)          // o
                        let op = out.p + r * U
                        if let maskP, maskP[r] == 0 {
                            // Masked step: states stay, the output repeats the previous output.
                            if s > 0 { op.update(from: out.p + (r - 1) * U, count: U) }
                            continue
                        }
                        let cb = c.p + b * U, hb = h.p + b * U, tcp = tc.p + r * U
                        for k in 0..<U {
                            let cn = zp[U + k] * cb[k] + zp[k] * zp[2 * U + k]
                            cb[k] = cn; tcp[k] = cn
                        }
                        act.apply(tcp, count: U, rowLength: U)
                        for k in 0..<U { hb[k] = zp[3 * U + k] * tcp[k]; op[k] = hb[k] }
                    }
                }
            }
        }

        let sequence = out.tensor([B, T, U])
        let finals = [h.tensor([B, U]), c.tensor([B, U])]
        return RecurrenceResult(sequence: sequence, finalStates: finals) { dSeq, dFinal in
            let dh = dFinal[0].map { FloatBuffer(copying: $0) } ?? FloatBuffer(B * U)
            let dc = dFinal[1].map { FloatBuffer(copying: $0) } ?? FloatBuffer(B * U)
            let dhNew = FloatBuffer(B * U), dCarry = FloatBuffer(B * U), dtc = FloatBuffer(Parallel.maxChunks * U)
            let dz = FloatBuffer(B * T * G)
            let dOut: [Float]? = dSeq?.scalars
            recurrentKernel.value.withUnsafeBufferPointer { uw in
                for s in stride(from: T - 1, through: 0, by: -1) {
                    Parallel.rows(B, elementsPerRow: G) { rows, chunk in
                        for b in rows {
                            let r = b * T + s, dtcp = dtc.p + chunk * U
                            let dhb = dh.p + b * U, carry = dCarry.p + b * U
                            let masked = maskP.map { $0[r] == 0 } ?? false
                            if let dOut { for k in 0..<U { carry[k] += dOut[r * U + k] } }
                            if masked { continue }   // the output gradient flows on to the previous output
                            for k in 0..<U { dhb[k] += carry[k]; carry[k] = 0 }
                            let zp = z.p + r * G, dzp = dz.p + r * G, tcp = tc.p + r * U, cp = cPrev.p + r * U
                            let dcb = dc.p + b * U
                            for k in 0..<U { dzp[3 * U + k] = dhb[k] * tcp[k]; dtcp[k] = dhb[k] * zp[3 * U + k] }
                            act.backward(output: tcp, grad: dtcp, count: U, rowLength: U)
                            for k in 0..<U {
                                let dck = dcb[k] + dtcp[k]
                                dzp[k] = dck * zp[2 * U + k]          // d i
                                dzp[U + k] = dck * cp[k]              // d f
                                dzp[2 * U + k] = dck * zp[k]          // d g
                                dcb[k] = dck * zp[U + k]              // d c_{s-1}
                            }
                            ra.backward(output: zp, grad: dzp, count: 2 * U, rowLength: 2 * U)
                            act.backward(output: zp + 2 * U, grad: dzp + 2 * U, count: U, rowLength: U)
                            ra.backward(output: zp + 3 * U, grad: dzp + 3 * U, count: U, rowLength: U)
                        }
                        // d h_{s-1} = Σ_g (dz_s,g · recurrentKernel_gᵀ) ⊙ mask_g: (rows, 4U)·(4U, U)
                        let b0 = rows.lowerBound
                        GateProducts.inputGradient(groups: recGroups, gates: 4, width: U, m: rows.count, k: U,
                                                   dz: dz.p + (b0 * T + s) * G, lddz: T * G, w: uw.baseAddress!,
                                                   mask: rmask, maskRows: B, maskRow: { b0 + $0 }, out: dhNew.p + b0 * U)
                        for b in rows {
                            if let maskP, maskP[b * T + s] == 0 { continue }   // dh passes through unchanged
                            (dh.p + b * U).update(from: dhNew.p + b * U, count: U)
                        }
                    }
                }
            }
            // Weight gradients over all steps at once: (D, BT)·(BT, 4U) and (U, BT)·(BT, 4U).
            GateProducts.weightGradient(groups: inGroups, gates: 4, width: U, k: D, rows: B * T, a: xd.p, lda: D,
                                        groupStride: B * T * D, dz: dz.p, lddz: G, into: kernel)
            GateProducts.weightGradient(groups: recGroups, gates: 4, width: U, k: U, rows: B * T, a: hPrev.p, lda: U,
                                        groupStride: B * T * U, dz: dz.p, lddz: G, into: recurrentKernel)
            bias?.accumulateColumnSums(dz.p, rowCount: B * T, stride: G, n: G)
            // dx = Σ_g (dz_g · kernel_gᵀ) ⊙ mask_g: (BT, 4U)·(4U, D); row (b, t) uses mask row b.
            let dx = FloatBuffer(B * T * D)
            kernel.value.withUnsafeBufferPointer { w in
                GateProducts.inputGradient(groups: inGroups, gates: 4, width: U, m: B * T, k: D, dz: dz.p, lddz: G,
                                           w: w.baseAddress!, mask: inputDropMask?.scalars, maskRows: B, maskRow: { $0 / T },
                                           out: dx.p)
            }
            return (dx.tensor([B, T, D]), [dh.tensor([B, U]), dc.tensor([B, U])])
        }
    }
}
