/// Reshapes each sample: (B, …) → (B, targetShape…); one entry of `targetShape` may be -1. No parameters.
public final class Reshape: Layer {
    /// Per-sample target shape (without the batch axis).
    public let targetShape: [Int]

    /// A layer reshaping each sample to `targetShape`.
    public init(_ targetShape: [Int], inputShape: [Int?]? = nil, name: String? = nil) {
        self.targetShape = targetShape
        super.init(name: name, defaultPrefix: "reshape", inputShape: inputShape)
    }

    convenience init(config: LayerConfig) throws {
        let t = try config.shape("target_shape") ?? []
        self.init(t.map { $0 ?? -1 }, inputShape: try config.shape("input_shape"), name: config.name)
    }

    public override var className: String { "Reshape" }
    override var configValues: [String: ConfigValue] { ["target_shape": .shape(targetShape.map { $0 }) ] }

    override func computeOutputShapes(_ inputShapes: [[Int?]]) throws -> [[Int?]] {
        let s = inputShapes[0]
        guard !s.isEmpty else { throw LSTMKitError.shapeMismatch("Reshape '\(name)' expects a batched input, got shape ()") }
        let inner = Array(s.dropFirst())
        let unknownTarget = targetShape.filter { $0 == -1 }.count
        guard unknownTarget <= 1, targetShape.allSatisfy({ $0 > 0 || $0 == -1 }) else {
            throw LSTMKitError.invalidArgument("Reshape '\(name)' target shape must have positive extents and at most one -1, got \(formatShape(targetShape))")
        }
        guard inner.allSatisfy({ $0 != nil }) else {
            return [[s[0]] + targetShape.map { $0 == -1 ? nil : $0 }]
        }
        // Overflow-checked: the shapes may come from a file.
        guard let n = LSTMKit.checkedProduct(inner.map { $0! }),
              let known = LSTMKit.checkedProduct(targetShape.filter { $0 != -1 }) else {
            throw LSTMKitError.shapeMismatch("Reshape '\(name)' cannot reshape samples of shape \(formatShape(inner)) into \(formatShape(targetShape)): the element count overflows")
        }
        let ok = unknownTarget == 1 ? (known > 0 && n % known == 0) : known == n
        guard ok else {
            throw LSTMKitError.shapeMismatch("Reshape '\(name)' cannot reshape samples of shape \(formatShape(inner)) (\(n) values) into \(formatShape(targetShape))")
        }
        return [[s[0]] + targetShape.map { $0 == -1 ? n / known : $0 }]
    }

    // x: (B, …) → (B, target…)
    override func forward(_ inputs: [Tensor], masks: [Tensor?], training: Bool) throws -> LayerOutput {
        let x = inputs[0]
        let out = try computeOutputShapes([x.shape.map { $0 }])[0].map { $0! }
        return LayerOutput(outputs: [x.reshapedUnchecked(out)], masks: [nil]) { grads in
            [grads[0]?.reshapedUnchecked(x.shape)]
        }
    }
}

/// Flattens each sample: (B, d₁, d₂, …) → (B, d₁·d₂·…). No parameters.
public final class Flatten: Layer {
    /// A flattening layer.
    public init(inputShape: [Int?]? = nil, name: String? = nil) {
        super.init(name: name, defaultPrefix: "flatten", inputShape: inputShape)
    }

    convenience init(config: LayerConfig) throws {
        self.init(inputShape: try config.shape("input_shape"), name: config.name)
    }

    public override var className: String { "Flatten" }

    override func computeOutputShapes(_ inputShapes: [[Int?]]) throws -> [[Int?]] {
        let s = inputShapes[0]
        guard s.count >= 1 else { throw LSTMKitError.shapeMismatch("Flatten '\(name)' expects a batched input, got shape ()") }
        let inner = s.dropFirst()
        let n: Int? = inner.allSatisfy { $0 != nil } ? LSTMKit.checkedProduct(inner.map { $0! }) : nil
        if n == nil, inner.allSatisfy({ $0 != nil }) {
            throw LSTMKitError.shapeMismatch("Flatten '\(name)' cannot flatten samples of shape \(formatShape(Array(inner))): the element count overflows")
        }
        return [[s[0], n]]
    }

    // x: (B, …) → (B, ∏…)
    override func forward(_ inputs: [Tensor], masks: [Tensor?], training: Bool) throws -> LayerOutput {
        let x = inputs[0], b = x.shape[0]
        return LayerOutput(outputs: [x.reshapedUnchecked([b, b == 0 ? 0 : x.count / b])], masks: [nil]) { grads in
            [grads[0]?.reshapedUnchecked(x.shape)]
        }
    }
}
