/// Marks timesteps whose features all equal `maskValue` as padding: x: (B, T, F) → same values with
/// masked steps zeroed, plus a (B, T) mask that downstream RNNs honour (masked steps keep states).
public final class Masking: Layer {
    /// The padding value (0 by default).
    public let maskValue: Float

    /// A masking layer for padding value `maskValue`.
    public init(maskValue: Float = 0, inputShape: [Int?]? = nil, name: String? = nil) {
        self.maskValue = maskValue
        super.init(name: name, defaultPrefix: "masking", inputShape: inputShape)
    }

    convenience init(config: LayerConfig) throws {
        self.init(maskValue: Float(try config.double("mask_value", default: 0)), inputShape: try config.shape("input_shape"), name: config.name)
    }

    public override var className: String { "Masking" }
    override var configValues: [String: ConfigValue] { ["mask_value": .double(Double(maskValue))] }

    override func computeOutputShapes(_ inputShapes: [[Int?]]) throws -> [[Int?]] {
        let s = inputShapes[0]
        guard s.count >= 3 else {
            throw LSTMKitError.shapeMismatch("Masking '\(name)' expects input of shape (None, timesteps, features), got \(formatShape(s))")
        }
        return [s]
    }

    // x: (B, T, F) → y = x ⊙ mask, mask: (B, T)
    override func forward(_ inputs: [Tensor], masks: [Tensor?], training: Bool) throws -> LayerOutput {
        let x = inputs[0], b = x.shape[0], t = x.shape[1], f = x.count / Swift.max(1, b * t)
        var m = [Float](repeating: 0, count: b * t)
        var y = x.scalars
        for r in 0..<(b * t) {
            var keep = false
            for k in 0..<f where x.scalars[r * f + k] != maskValue { keep = true; break }
            m[r] = keep ? 1 : 0
            if !keep { for k in 0..<f { y[r * f + k] = 0 } }
        }
        let mask = Tensor(uncheckedShape: [b, t], scalars: m)
        return LayerOutput(outputs: [Tensor(uncheckedShape: x.shape, scalars: y)], masks: [mask]) { grads in
            guard var g = grads[0] else { return [nil] }
            g.withUnsafeMutableBufferPointer { gp in for r in 0..<(b * t) where m[r] == 0 { for k in 0..<f { gp[r * f + k] = 0 } } }
            return [g]
        }
    }
}

/// Inverted dropout: during training each value is zeroed with probability `rate` and the rest are
/// scaled by 1/(1 − rate); at inference it is the identity. No parameters.
public final class Dropout: Layer {
    /// Fraction of values dropped during training, in [0, 1).
    public let rate: Float

    /// A dropout layer.
    public init(_ rate: Float, inputShape: [Int?]? = nil, name: String? = nil) {
        self.rate = rate
        super.init(name: name, defaultPrefix: "dropout", inputShape: inputShape)
    }

    convenience init(config: LayerConfig) throws {
        self.init(Float(try config.double("rate")), inputShape: try config.shape("input_shape"), name: config.name)
    }

    public override var className: String { "Dropout" }
    override var configValues: [String: ConfigValue] { ["rate": .double(Double(rate))] }

    override func computeOutputShapes(_ inputShapes: [[Int?]]) throws -> [[Int?]] {
        guard rate >= 0, rate < 1 else { throw LSTMKitError.invalidArgument("Dropout '\(name)' needs a rate in [0, 1), got \(rate)") }
        return [inputShapes[0]]
    }

    // x: any → same shape
    override func forward(_ inputs: [Tensor], masks: [Tensor?], training: Bool) throws -> LayerOutput {
        let x = inputs[0]
        guard training, rate > 0 else {
            return LayerOutput(outputs: [x], masks: [masks.first ?? nil]) { $0 }
        }
        let keep = Recurrent.dropMask(x.shape, rate: rate)
        return LayerOutput(outputs: [try x * keep], masks: [masks.first ?? nil]) { grads in
            [try grads[0].map { try $0 * keep }]
        }
    }
}
