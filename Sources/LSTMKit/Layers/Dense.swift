/// A fully connected layer: `y = activation(x · kernel + bias)`.
///
/// x: (B, d) → y: (B, units). On higher-rank input (B, T, d) it applies to the last axis, giving
/// (B, T, units), exactly like Keras. Weights: kernel (d, units) glorot-uniform, bias (units) zeros (other
/// initializers via `kernelInitializer:`/`biasInitializer:`; `kernelRegularizer:` etc. add loss penalties,
/// `kernelConstraint:` etc. project the weights after each optimizer step).
/// Params: `units·(d + 1)` (or `units·d` without bias).
public final class Dense: Layer {
    /// Output features.
    public let units: Int
    /// Applied after the affine map (linear by default).
    public let activation: Activation
    /// Whether a bias is added.
    public let useBias: Bool
    /// Initializer of the kernel (glorot-uniform by default).
    public var kernelInitializer: Initializer { kernelOptions.initializer }
    /// Initializer of the bias (zeros by default).
    public var biasInitializer: Initializer { biasOptions.initializer }
    /// Penalty on the kernel, if any.
    public var kernelRegularizer: Regularizer? { kernelOptions.regularizer }
    /// Penalty on the bias, if any.
    public var biasRegularizer: Regularizer? { biasOptions.regularizer }
    /// Projection of the kernel after each optimizer step, if any.
    public var kernelConstraint: Constraint? { kernelOptions.constraint }
    /// Projection of the bias after each optimizer step, if any.
    public var biasConstraint: Constraint? { biasOptions.constraint }
    let kernelOptions: WeightOptions, biasOptions: WeightOptions
    private(set) var kernel: Parameter!
    private(set) var bias: Parameter?

    /// A dense layer with `units` outputs; `inputShape` (without batch) lets a Sequential model start here.
    public init(units: Int, activation: Activation = .linear, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil,
                inputShape: [Int?]? = nil, name: String? = nil) {
        self.units = units
        self.activation = activation
        self.useBias = useBias
        kernelOptions = WeightOptions(kernelInitializer, kernelRegularizer, kernelConstraint)
        biasOptions = WeightOptions(biasInitializer, biasRegularizer, biasConstraint)
        super.init(name: name, defaultPrefix: "dense", inputShape: inputShape)
    }

    /// Rebuilds a dense layer from its config.
    convenience init(config: LayerConfig) throws {
        let k = try WeightOptions(config: config, prefix: "kernel", default: .glorotUniform)
        let b = try WeightOptions(config: config, prefix: "bias", default: .zeros)
        self.init(units: try config.int("units"), activation: try config.activation("activation", default: .linear),
                  useBias: try config.bool("use_bias", default: true),
                  kernelInitializer: k.initializer, biasInitializer: b.initializer, kernelRegularizer: k.regularizer,
                  biasRegularizer: b.regularizer, kernelConstraint: k.constraint, biasConstraint: b.constraint, inputShape: try config.shape("input_shape"),
                  name: config.name)
    }

    public override var className: String { "Dense" }

    override var configValues: [String: ConfigValue] {
        (["units": .int(units), "activation": .string(activation.rawValue), "use_bias": .bool(useBias)] as [String: ConfigValue])
            .merging(kernelOptions.config("kernel")) { $1 }.merging(biasOptions.config("bias")) { $1 }
    }

    override func computeOutputShapes(_ inputShapes: [[Int?]]) throws -> [[Int?]] {
        let s = inputShapes[0]
        guard units > 0 else { throw LSTMKitError.invalidArgument("Dense '\(name)' needs units > 0, got \(units)") }
        guard s.count >= 2, let d = s.last!, d > 0 else {
            throw LSTMKitError.shapeMismatch(
                "\(className) '\(name)' expects input of shape (None, …, features) with known features, got \(formatShape(s))")
        }
        if isBuilt { try expect(s, [nil] + Array(s.dropFirst().dropLast()) + [kernel.shape[0]]) }
        else if d <= 0 { throw LSTMKitError.shapeMismatch("Dense '\(name)' got input with \(d) features") }
        return [Array(s.dropLast()) + [units]]
    }

    override func build(_ inputShapes: [[Int?]]) throws {
        let d = inputShapes[0].last!!
        try checkParameterCount([[d, units], useBias ? [units] : [0]])
        try validateWeightOptions("kernel", shape: [d, units], initializer: kernelInitializer, regularizer: kernelRegularizer, constraint: kernelConstraint)
        try validateWeightOptions("bias", shape: [units], initializer: biasInitializer, regularizer: biasRegularizer, constraint: biasConstraint)
        kernel = addParameter("kernel", try kernelInitializer.make([d, units]), regularizer: kernelRegularizer, constraint: kernelConstraint)
        kernel.ownedByRows = true   // its products are split by rows (`WeightRows`)
        if useBias { bias = addParameter("bias", try biasInitializer.make([units]), regularizer: biasRegularizer, constraint: biasConstraint) }
    }

    // x: (N…, d) → y: (N…, units); the leading axes are flattened to n rows.
    override func forward(_ inputs: [Tensor], masks: [Tensor?], training: Bool) throws -> LayerOutput {
        let x = inputs[0]
        let kernel = self.kernel!, bias = self.bias
        let d = kernel.shape[0], u = units, n = x.count / d
        var y = [Float](repeating: 0, count: n * u)
        let w = kernel.value
        y.withUnsafeMutableBufferPointer { yp in
            if let b = bias?.value {
                b.withUnsafeBufferPointer { bp in for r in 0..<n { for j in 0..<u { yp[r * u + j] = bp[j] } } }
            }
            x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in
                BLAS.gemm(m: n, n: u, k: d, a: xp.baseAddress!, lda: d, b: wp.baseAddress!, ldb: u,
                          beta: bias == nil ? 0 : 1, c: yp.baseAddress!, ldc: u, split: .k)
            } }
            activation.apply(yp.baseAddress!, count: n * u, rowLength: u)
        }
        let out = Tensor(uncheckedShape: Array(x.shape.dropLast()) + [u], scalars: y)
        return LayerOutput(outputs: [out], masks: [masks.first ?? nil]) { grads in
            guard let gy = grads[0] else { return [nil] }
            // dz = dy ⊙ act'(y): (n, u)
            var dz = gy.scalars
            dz.withUnsafeMutableBufferPointer { dzp in
                y.withUnsafeBufferPointer { yp in
                    self.activation.backward(output: yp.baseAddress!, grad: dzp.baseAddress!, count: n * u, rowLength: u)
                }
            }
            var dx = [Float](repeating: 0, count: n * d)
            dz.withUnsafeBufferPointer { dzp in
                x.withUnsafeBufferPointer { xp in
                    // dKernel += xᵀ · dz: (d, n)·(n, u)
                    kernel.accumulateProduct(transA: true, transB: false, m: d, n: u, k: n, a: xp.baseAddress!, lda: d,
                                             b: dzp.baseAddress!, ldb: u)
                }
                // dBias += Σ_rows dz
                bias?.grad.withUnsafeMutableBufferPointer { gb in
                    for r in 0..<n { for j in 0..<u { gb[j] += dzp[r * u + j] } }
                }
                // dx = dz · kernelᵀ: (n, u)·(u, d)
                kernel.value.withUnsafeBufferPointer { wp in
                    dx.withUnsafeMutableBufferPointer { dxp in
                        BLAS.gemm(transB: true, m: n, n: d, k: u, a: dzp.baseAddress!, lda: u,
                                  b: wp.baseAddress!, ldb: u, beta: 0, c: dxp.baseAddress!, ldc: d, split: .n)
                    }
                }
            }
            return [Tensor(uncheckedShape: x.shape, scalars: dx)]
        }
    }
}
