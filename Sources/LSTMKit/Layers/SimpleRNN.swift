/// Fully connected recurrent layer: `h' = act(x·kernel + bias + h·recurrentKernel)` (tanh by default).
///
/// Weights: kernel (d, u) glorot-uniform, recurrentKernel (u, u) orthogonal, bias (u) zeros.
/// Params `u(d + u + 1)`. Shapes as for `LSTM`; states `[h]`.
public final class SimpleRNN: Recurrent {
    /// The activation (tanh by default).
    public let activation: Activation
    /// Whether the layer has a bias.
    public let useBias: Bool
    private(set) var kernel: Parameter!
    private(set) var recurrentKernel: Parameter!
    private(set) var bias: Parameter?

    /// A simple RNN with `units` hidden units; arguments as in Keras (camelCase).
    public init(units: Int, activation: Activation = .tanh, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform,
                recurrentInitializer: Initializer = .orthogonal, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, recurrentRegularizer: Regularizer? = nil,
                biasRegularizer: Regularizer? = nil, kernelConstraint: Constraint? = nil, recurrentConstraint: Constraint? = nil,
                biasConstraint: Constraint? = nil, returnSequences: Bool = false,
                returnState: Bool = false, goBackwards: Bool = false, stateful: Bool = false,
                dropout: Float = 0, recurrentDropout: Float = 0, inputShape: [Int?]? = nil, name: String? = nil) {
        self.activation = activation
        self.useBias = useBias
        super.init(units: units, returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                   stateful: stateful, dropout: dropout, recurrentDropout: recurrentDropout,
                   weights: (WeightOptions(kernelInitializer, kernelRegularizer, kernelConstraint),
                             WeightOptions(recurrentInitializer, recurrentRegularizer, recurrentConstraint),
                             WeightOptions(biasInitializer, biasRegularizer, biasConstraint)),
                   inputShape: inputShape, name: name, defaultPrefix: "simple_rnn")
    }

    convenience init(config c: LayerConfig) throws {
        let k = try WeightOptions(config: c, prefix: "kernel", default: .glorotUniform)
        let r = try WeightOptions(config: c, prefix: "recurrent", default: .orthogonal)
        let b = try WeightOptions(config: c, prefix: "bias", default: .zeros)
        self.init(units: try c.int("units"), activation: try c.activation("activation", default: .tanh),
                  useBias: try c.bool("use_bias", default: true),
                  kernelInitializer: k.initializer, recurrentInitializer: r.initializer, biasInitializer: b.initializer,
                  kernelRegularizer: k.regularizer, recurrentRegularizer: r.regularizer, biasRegularizer: b.regularizer,
                  kernelConstraint: k.constraint, recurrentConstraint: r.constraint, biasConstraint: b.constraint,
                  returnSequences: try c.bool("return_sequences", default: false),
                  returnState: try c.bool("return_state", default: false), goBackwards: try c.bool("go_backwards", default: false),
                  stateful: try c.bool("stateful", default: false), dropout: Float(try c.double("dropout", default: 0)),
                  recurrentDropout: Float(try c.double("recurrent_dropout", default: 0)),
                  inputShape: try c.shape("input_shape"), name: c.name)
    }

    public override var className: String { "SimpleRNN" }

    override var configValues: [String: ConfigValue] {
        recurrentConfig.merging(["activation": .string(activation.rawValue), "use_bias": .bool(useBias)]) { $1 }
    }

    override func build(_ inputShapes: [[Int?]]) throws {
        let d = inputShapes[0][2]!, u = units
        try checkParameterCount([[d, u], [u, u], useBias ? [u] : [0]])
        try validateWeightOptions("kernel", shape: [d, u], initializer: kernelInitializer, regularizer: kernelRegularizer, constraint: kernelConstraint)
        try validateWeightOptions("recurrent", shape: [u, u], initializer: recurrentInitializer, regularizer: recurrentRegularizer, constraint: recurrentConstraint)
        try validateWeightOptions("bias", shape: [u], initializer: biasInitializer, regularizer: biasRegularizer, constraint: biasConstraint)
        kernel = addParameter("kernel", try kernelInitializer.make([d, u]), regularizer: kernelRegularizer, constraint: kernelConstraint)
        recurrentKernel = addParameter("recurrent_kernel", try recurrentInitializer.make([u, u]),
                                       regularizer: recurrentRegularizer, constraint: recurrentConstraint)
        kernel.ownedByRows = true   // their products are split by rows (`WeightRows`)
        recurrentKernel.ownedByRows = true
        if useBias { bias = addParameter("bias", try biasInitializer.make([u]), regularizer: biasRegularizer, constraint: biasConstraint) }
    }

    // x: (B, T, d), initial [h0]: (B, u) → sequence (B, T, u), finals [h].
    override func recurrence(x: Tensor, initial: [Tensor], mask: Tensor?,
                             inputDropMask: Tensor?, recurrentDropMask: Tensor?, initialGradient: Bool = true) -> RecurrenceResult {
        let B = x.shape[0], T = x.shape[1], D = x.shape[2], U = units
        let act = activation
        let kernel = self.kernel!, recurrentKernel = self.recurrentKernel!, bias = self.bias
        let xd = FloatBuffer(copying: x)
        if let m = inputDropMask {
            for b in 0..<B { for t in 0..<T { for k in 0..<D { xd.p[(b * T + t) * D + k] *= m.scalars[b * D + k] } } }
        }
        let z = FloatBuffer(B * T * U)       // pre-activation, then h candidate: (B, T, U)
        let hPrev = FloatBuffer(B * T * U)   // h_{t-1} ⊙ recurrent mask
        let out = FloatBuffer(B * T * U)
        let h = FloatBuffer(copying: initial[0])
        let maskP: [Float]? = mask?.scalars
        let rmask: [Float]? = recurrentDropMask?.scalars
        if let bv = bias?.value.scalars { for r in 0..<(B * T) { for j in 0..<U { z.p[r * U + j] = bv[j] } } }
        kernel.value.withUnsafeBufferPointer { w in
            BLAS.gemm(m: B * T, n: U, k: D, a: xd.p, lda: D, b: w.baseAddress!, ldb: U, beta: bias == nil ? 0 : 1, c: z.p, ldc: U,
                      split: .k)
        }
        recurrentKernel.value.withUnsafeBufferPointer { uw in
            for s in 0..<T {
                // Batch rows are independent within a step: each chunk runs its own product and updates.
                Parallel.rows(B, elementsPerRow: U) { rows, _ in
                    for b in rows {
                        let hp = hPrev.p + (b * T + s) * U
                        hp.update(from: h.p + b * U, count: U)
                        if let rmask { for k in 0..<U { hp[k] *= rmask[b * U + k] } }
                    }
                    let r0 = rows.lowerBound * T + s
                    BLAS.gemm(m: rows.count, n: U, k: U, a: hPrev.p + r0 * U, lda: T * U, b: uw.baseAddress!, ldb: U,
                              beta: 1, c: z.p + r0 * U, ldc: T * U, split: .k)
                    for b in rows {
                        let r = b * T + s, zp = z.p + r * U, op = out.p + r * U
                        act.apply(zp, count: U, rowLength: U)
                        if let maskP, maskP[r] == 0 {
                            if s > 0 { op.update(from: out.p + (r - 1) * U, count: U) }
                            continue
                        }
                        (h.p + b * U).update(from: zp, count: U)
                        op.update(from: zp, count: U)
                    }
                }
            }
        }
        let sequence = out.tensor([B, T, U])
        return RecurrenceResult(sequence: sequence, finalStates: [h.tensor([B, U])]) { dSeq, dFinal in
            let dh = dFinal[0].map { FloatBuffer(copying: $0) } ?? FloatBuffer(B * U)
            let dCarry = FloatBuffer(B * U), dhNew = FloatBuffer(B * U), dz = FloatBuffer(B * T * U)
            let dOut: [Float]? = dSeq?.scalars
            recurrentKernel.value.withUnsafeBufferPointer { uw in
                for s in stride(from: T - 1, through: 0, by: -1) {
                    Parallel.rows(B, elementsPerRow: U) { rows, _ in
                        for b in rows {
                            let r = b * T + s, dhb = dh.p + b * U, carry = dCarry.p + b * U
                            if let dOut { for k in 0..<U { carry[k] += dOut[r * U + k] } }
                            if let maskP, maskP[r] == 0 { continue }
                            let dzp = dz.p + r * U
                            for k in 0..<U { dzp[k] = dhb[k] + carry[k]; carry[k] = 0 }
                            act.backward(output: z.p + r * U, grad: dzp, count: U, rowLength: U)
                        }
                        let b0 = rows.lowerBound
                        BLAS.gemm(transB: true, m: rows.count, n: U, k: U, a: dz.p + (b0 * T + s) * U, lda: T * U, b: uw.baseAddress!,
                                  ldb: U, beta: 0, c: dhNew.p + b0 * U, ldc: U, split: .n)
                        for b in rows {
                            if let maskP, maskP[b * T + s] == 0 { continue }
                            let dhb = dh.p + b * U, nb = dhNew.p + b * U
                            for k in 0..<U { dhb[k] = nb[k] * (rmask?[b * U + k] ?? 1) }
                        }
                    }
                }
            }
            kernel.accumulateProduct(transA: true, transB: false, m: D, n: U, k: B * T, a: xd.p, lda: D, b: dz.p, ldb: U)
            recurrentKernel.accumulateProduct(transA: true, transB: false, m: U, n: U, k: B * T, a: hPrev.p, lda: U, b: dz.p, ldb: U)
            bias?.accumulateColumnSums(dz.p, rowCount: B * T, stride: U, n: U)
            let dx = FloatBuffer(B * T * D)
            kernel.value.withUnsafeBufferPointer { w in
                BLAS.gemm(transB: true, m: B * T, n: D, k: U, a: dz.p, lda: U, b: w.baseAddress!, ldb: U, beta: 0, c: dx.p, ldc: D,
                          split: .n)
            }
            if let m = inputDropMask {
                for b in 0..<B { for t in 0..<T { for k in 0..<D { dx.p[(b * T + t) * D + k] *= m.scalars[b * D + k] } } }
            }
            return (dx.tensor([B, T, D]), [dh.tensor([B, U])])
        }
    }
}
