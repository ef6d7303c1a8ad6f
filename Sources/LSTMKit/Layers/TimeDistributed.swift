/// Applies a layer to every timestep independently: (B, T, …) → (B, T, …'), with the same weights.
///
/// `TimeDistributed(Dense(units: 1))` on (B, 5, 5) gives (B, 5, 1) with Dense's 6 parameters.
/// Implemented by folding time into the batch: (B·T, …) through the inner layer, then unfolding.
public final class TimeDistributed: Layer {
    /// The wrapped layer (its parameters are this layer's parameters).
    public let layer: Layer

    /// Wraps `layer`.
    public init(_ layer: Layer, inputShape: [Int?]? = nil, name: String? = nil) {
        self.layer = layer
        super.init(name: name, defaultPrefix: "time_distributed", inputShape: inputShape)
    }

    convenience init(config: LayerConfig) throws {
        self.init(try LayerRegistry.makeLayer(config.layer("layer")), inputShape: try config.shape("input_shape"), name: config.name)
    }

    public override var className: String { "TimeDistributed" }
    override var configValues: [String: ConfigValue] { ["layer": .layer(layer.config)] }
    override var sublayers: [Layer] { [layer] }

    private func innerShape(_ s: [Int?]) throws -> [Int?] {
        guard s.count >= 3 else {
            throw LSTMKitError.shapeMismatch("TimeDistributed '\(name)' expects input of shape (None, timesteps, …) with rank ≥ 3, got \(formatShape(s))")
        }
        let bt: Int? = (s[0] != nil && s[1] != nil) ? LSTMKit.checkedProduct([s[0]!, s[1]!]) : nil
        if bt == nil, s[0] != nil, s[1] != nil {
            throw LSTMKitError.shapeMismatch("TimeDistributed '\(name)' cannot fold input of shape \(formatShape(s)): batch × timesteps overflows")
        }
        return [bt] + Array(s.dropFirst(2))
    }

    override func computeOutputShapes(_ inputShapes: [[Int?]]) throws -> [[Int?]] {
        let s = inputShapes[0]
        let inner = try layer.computeOutputShapes([try innerShape(s)])
        return [[s[0], s[1]] + inner[0].dropFirst()]
    }

    override func build(_ inputShapes: [[Int?]]) throws {
        try layer.ensureBuilt([try innerShape(inputShapes[0])])
    }

    // x: (B, T, …) → (B·T, …) → inner → (B·T, …') → (B, T, …')
    override func forward(_ inputs: [Tensor], masks: [Tensor?], training: Bool) throws -> LayerOutput {
        let x = inputs[0], b = x.shape[0], t = x.shape[1]
        let folded = x.reshapedUnchecked([b * t] + x.shape.dropFirst(2))
        _ = try layer.computeOutputShapes([folded.shape.map(Optional.some)])
        let r = try layer.forward([folded], masks: [nil], training: training)
        let y = r.outputs[0]
        return LayerOutput(outputs: [y.reshapedUnchecked([b, t] + y.shape.dropFirst())], masks: [masks.first ?? nil]) { grads in
            guard let g = grads[0] else { return [nil] }
            let dx = try r.pullback([g.reshapedUnchecked(y.shape)])[0]
            return [dx?.reshapedUnchecked(x.shape)]
        }
    }
}
