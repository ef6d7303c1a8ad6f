/// A fully connected layer: `y = activation(x · kernel + bias)`.
///
/// x: (B, d) → y: (B, units). On higher-rank input (B, T, d) it applies to the last axis, giving
/// (B, T, units), exactly like Keras. Weights: kernel (d, units) glorot-uniform, bias (units) zeros.
/// Params: `units·(d + 1)` (or `units·d` without bias).
public final class Dense: Layer {
    /// Output features.
    public let units: Int
    /// Applied after the affine map (linear by default).
    public let activation: Activation
    /// Whether a bias is added.
    public let useBias: Bool
    private(set) var kernel: Parameter!
    private(set) var bias: Parameter?

    /// A dense layer with `units` outputs; `inputShape` (without batch) lets a Sequential model start here.
    public init(units: Int, activation: Activation = .linear, useBias: Bool = true,
                inputShape: [Int?]? = nil, name: String? = nil) {
        self.units = units
        self.activation = activation
        self.useBias = useBias
        super.init(name: name, defaultPrefix: "dense", inputShape: inputShape)
    }

    /// Rebuilds a dense layer from its config.
    convenience init(config: LayerConfig) throws {
        self.init(units: try config.int("units"), activation: try config.activation("activation", default: .linear),
                  useBias: try config.bool("use_bias", default: true), inputShape: try config.shape("input_shape"),
                  name: config.name)
    }

    public override var className: String { "Dense" }

    override var configValues: [String: ConfigValue] {
        ["units": .int(units), "activation": .string(activation.rawValue), "use_bias": .bool(useBias)]
    }

    override func computeOutputShapes(_ inputShapes: [[Int?]]) throws -> [[Int?]] {
        let s = inputShapes[0]
        guard units > 0 else { throw LSTMKitError.invalidArgument("Dense '\(name)' needs units > 0, got \(units)") }
        guard s.count >= 2, let d = s.last!, d > 0 else {
            throw LSTMKitError.shapeMismatch(
                "\(className) '\(name)' expects input of shape (None, …, features) with known features, got \(formatShape(s))")
        }
        if isBuilt { try expect(s, [nil] + Array(s.dropFirst().dropLast()) + [kernel.value.shape[0]]) }
        else if d <= 0 { throw LSTMKitError.shapeMismatch("Dense '\(name)' got input with \(d) features") }
        return [Array(s.dropLast()) + [units]]
    }

    override func build(_ inputShapes: [[Int?]]) throws {
        let d = inputShapes[0].last!!
        kernel = addParameter("kernel", Initializer.glorotUniform.make([d, units]))
        if useBias { bias = addParameter("bias", .zeros([units])) }
    }

    // x: (N…, d) → y: (N…, units); the leading axes are flattened to n rows.
    override func forward(_ inputs: [Tensor], masks: [Tensor?], training: Bool) throws -> LayerOutput {
        let x = inputs[0]
        let kernel = self.kernel!, bias = self.bias
        let d = kernel.value.shape[0], u = units, n = x.count / d
        var y = [Float](repeating: 0, count: n * u)
        let w = kernel.value
        y.withUnsafeMutableBufferPointer { yp in
            if let b = bias?.value {
                b.withUnsafeBufferPointer { bp in for r in 0..<n { for j in 0..<u { yp[r * u + j] = bp[j] } } }
            }
            x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in
                BLAS.gemm(m: n, n: u, k: d, a: xp.baseAddress!, lda: d, b: wp.baseAddress!, ldb: u,
                          beta: bias == nil ? 0 : 1, c: yp.baseAddress!, ldc: u)
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
                    kernel.grad.withUnsafeMutableBufferPointer { gk in
                        BLAS.gemm(transA: true, m: d, n: u, k: n, a: xp.baseAddress!, lda: d,
                                  b: dzp.baseAddress!, ldb: u, beta: 1, c: gk.baseAddress!, ldc: u)
                    }
                }
                // dBias += Σ_rows dz
                bias?.grad.withUnsafeMutableBufferPointer { gb in
                    for r in 0..<n { for j in 0..<u { gb[j] += dzp[r * u + j] } }
                }
                // dx = dz · kernelᵀ: (n, u)·(u, d)
                kernel.value.withUnsafeBufferPointer { wp in
                    dx.withUnsafeMutableBufferPointer { dxp in
                        BLAS.gemm(transB: true, m: n, n: d, k: u, a: dzp.baseAddress!, lda: u,
                                  b: wp.baseAddress!, ldb: u, beta: 0, c: dxp.baseAddress!, ldc: d)
                    }
                }
            }
            return [Tensor(uncheckedShape: x.shape, scalars: dx)]
        }
    }
}
