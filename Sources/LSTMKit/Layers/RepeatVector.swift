/// Repeats a vector n times along a new time axis: (B, F) → (B, n, F). No parameters.
///
/// The bridge between an encoder's final state and a decoder in the LSTM autoencoder.
public final class RepeatVector: Layer {
    /// How many timesteps to produce.
    public let n: Int

    /// A layer repeating its (B, F) input `n` times.
    public init(_ n: Int, inputShape: [Int?]? = nil, name: String? = nil) {
        self.n = n
        super.init(name: name, defaultPrefix: "repeat_vector", inputShape: inputShape)
    }

    convenience init(config: LayerConfig) throws {
        self.init(try config.int("n"), inputShape: try config.shape("input_shape"), name: config.name)
    }

    public override var className: String { "RepeatVector" }
    override var configValues: [String: ConfigValue] { ["n": .int(n)] }

    override func computeOutputShapes(_ inputShapes: [[Int?]]) throws -> [[Int?]] {
        guard n > 0 else { throw LSTMKitError.invalidArgument("RepeatVector '\(name)' needs n > 0, got \(n)") }
        let s = inputShapes[0]
        guard s.count == 2 else {
            throw LSTMKitError.shapeMismatch("RepeatVector '\(name)' expects input of shape (None, features), got \(formatShape(s))")
        }
        if isBuilt { try expect(s, builtInputShapes[0]) }
        return [[s[0], n, s[1]]]
    }

    // x: (B, F) → y: (B, n, F)
    override func forward(_ inputs: [Tensor], masks: [Tensor?], training: Bool) throws -> LayerOutput {
        let x = inputs[0], b = x.shape[0], f = x.shape[1], n = self.n
        var y = [Float](repeating: 0, count: try LSTMKit.elementCount([b, n, f], what: "RepeatVector '\(name)' output"))
        if f > 0 {
            x.withUnsafeBufferPointer { xs in y.withUnsafeMutableBufferPointer { ys in
                for i in 0..<b { for t in 0..<n { (ys.baseAddress! + (i * n + t) * f).update(from: xs.baseAddress! + i * f, count: f) } }
            } }
        }
        return LayerOutput(outputs: [Tensor(uncheckedShape: [b, n, f], scalars: y)], masks: [nil]) { grads in
            guard let g = grads[0] else { return [nil] }
            // dx = Σ_t dy[:, t, :], summed in t order
            var dx = [Float](repeating: 0, count: b * f)
            g.withUnsafeBufferPointer { gs in dx.withUnsafeMutableBufferPointer { d in
                for i in 0..<b { for t in 0..<n {
                    let row = gs.baseAddress! + (i * n + t) * f, out = d.baseAddress! + i * f
                    for k in 0..<f { out[k] += row[k] }
                } }
            } }
            return [Tensor(uncheckedShape: [b, f], scalars: dx)]
        }
    }
}
