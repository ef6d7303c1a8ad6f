/// Runs a recurrent layer forwards and a copy of it backwards over the sequence and merges them.
///
/// The backward copy's output sequence is flipped back to input order before merging, like Keras.
/// x: (B, T, d) → (B, T, 2u) (`concat`, the default) or (B, T, u) (`sum`, `mul`, `ave`); (B, ·) without
/// `returnSequences`. With `returnState`: `[merged, forward states…, backward states…]`.
/// `mergeMode: nil` (Keras's `merge_mode=None`) does not merge: the outputs are `[forward, backward]`
/// (each (B, [T,] u), the backward one in input order), then the states when `returnState`.
/// Weights: the forward layer's, then the backward layer's; params doubled.
public final class Bidirectional: Layer {
    /// How the two directions are combined.
    public enum MergeMode: String, Codable, Sendable { case concat, sum, mul, ave }

    /// The layer run over the sequence in order (named `forward_<name>`).
    public let forwardLayer: Recurrent
    /// The copy run over the reversed sequence (named `backward_<name>`).
    public let backwardLayer: Recurrent
    /// How outputs are merged; nil returns the two directions as separate outputs.
    public let mergeMode: MergeMode?

    /// Number of sequence outputs before the states: 1 when merged, 2 (forward, backward) for `mergeMode: nil`.
    var sequenceOutputCount: Int { mergeMode == nil ? 2 : 1 }

    /// Wraps `layer` (an LSTM, GRU or SimpleRNN) in both directions; `mergeMode: nil` keeps them separate.
    public init(_ layer: Recurrent, mergeMode: MergeMode? = .concat, inputShape: [Int?]? = nil, name: String? = nil) {
        func copy(_ prefix: String, flip: Bool) -> Recurrent {
            var c = layer.config
            c.values["name"] = .string("\(prefix)_\(layer.name)")
            if flip { c.values["go_backwards"] = .bool(!layer.goBackwards) }
            c.values["input_shape"] = nil
            // The layer's own class, not the registry (where a user may have registered another maker
            // under "LSTM"): its own config always rebuilds it.
            let made: Recurrent?
            switch layer {
            case is LSTM: made = try? LSTM(config: c)
            case is GRU: made = try? GRU(config: c)
            case is SimpleRNN: made = try? SimpleRNN(config: c)
            default: made = (try? LayerRegistry.makeLayer(c)) as? Recurrent
            }
            guard let made else { preconditionFailure("internal: cannot copy \(layer.className) from its config") }
            return made
        }
        forwardLayer = copy("forward", flip: false)
        backwardLayer = copy("backward", flip: true)
        // Like Keras: padded steps of a returned sequence are zeros in both directions.
        forwardLayer.zeroOutputForMask = layer.returnSequences
        backwardLayer.zeroOutputForMask = layer.returnSequences
        self.mergeMode = mergeMode
        super.init(name: name, defaultPrefix: "bidirectional", inputShape: inputShape ?? layer.declaredInputShape)
    }

    convenience init(config: LayerConfig) throws {
        guard let inner = try LayerRegistry.makeLayer(config.layer("layer")) as? Recurrent else {
            throw LSTMKitError.invalidArgument("Bidirectional needs a recurrent layer (LSTM, GRU, SimpleRNN)")
        }
        // `init` copies the layer from its config and cannot throw: check here that a copy can be made.
        var copy = inner.config
        copy.values["input_shape"] = nil
        guard (try? LayerRegistry.makeLayer(copy)) is Recurrent else {
            throw LSTMKitError.invalidArgument("Bidirectional cannot copy its \(inner.className) '\(inner.name)' from the layer's config")
        }
        var m: MergeMode? = .concat
        switch config.values["merge_mode"] {
        case nil: break
        case .null?: m = nil
        case .string(let mode)?:
            guard let parsed = MergeMode(rawValue: mode) else {
                throw LSTMKitError.invalidArgument("Bidirectional merge_mode must be concat, sum, mul, ave or null, got '\(mode)'")
            }
            m = parsed
        case let other?:
            throw LSTMKitError.invalidArgument("Bidirectional merge_mode must be concat, sum, mul, ave or null, got \(other)")
        }
        self.init(inner, mergeMode: m, inputShape: try config.shape("input_shape"), name: config.name)
    }

    public override var className: String { "Bidirectional" }
    override var sublayers: [Layer] { [forwardLayer, backwardLayer] }
    override var inputArity: ClosedRange<Int> { 1...(1 + 2 * forwardLayer.stateCount) }

    override var configValues: [String: ConfigValue] {
        var inner = forwardLayer.config
        inner.values["name"] = .string(String(forwardLayer.name.dropFirst("forward_".count)))
        return ["layer": .layer(inner), "merge_mode": mergeMode.map { .string($0.rawValue) } ?? .null]
    }

    /// Forgets both directions' states (stateful layers).
    public func resetStates() { forwardLayer.resetStates(); backwardLayer.resetStates() }

    private func split(_ shapes: [[Int?]]) -> ([[Int?]], [[Int?]]) {
        guard shapes.count > 1 else { return (shapes, shapes) }
        let n = forwardLayer.stateCount
        return ([shapes[0]] + shapes[1...n], [shapes[0]] + shapes[(n + 1)...])
    }

    override func computeOutputShapes(_ inputShapes: [[Int?]]) throws -> [[Int?]] {
        if inputShapes.count > 1 && inputShapes.count != 1 + 2 * forwardLayer.stateCount {
            throw LSTMKitError.invalidArgument("Bidirectional '\(name)' expects \(2 * forwardLayer.stateCount) initial state tensors (forward then backward), got \(inputShapes.count - 1)")
        }
        let (f, b) = split(inputShapes)
        let fo = try forwardLayer.computeOutputShapes(f), bo = try backwardLayer.computeOutputShapes(b)
        var out = fo[0]
        if mergeMode == .concat, let u = out.last! {
            guard u <= Int.max / 2 else { throw LSTMKitError.invalidArgument("Bidirectional '\(name)' cannot concatenate two outputs of \(u) units") }
            out[out.count - 1] = 2 * u
        }
        let sequences = mergeMode == nil ? [out, out] : [out]
        return sequences + fo.dropFirst() + bo.dropFirst()
    }

    override func build(_ inputShapes: [[Int?]]) throws {
        let (f, b) = split(inputShapes)
        try forwardLayer.ensureBuilt(f)
        try backwardLayer.ensureBuilt(b)
    }

    // x: (B, T, d) → merge(forward (B, [T,] u), flip(backward) (B, [T,] u))
    override func forward(_ inputs: [Tensor], masks: [Tensor?], training: Bool) throws -> LayerOutput {
        let n = forwardLayer.stateCount
        let fIn = inputs.count > 1 ? [inputs[0]] + inputs[1...n] : [inputs[0]]
        let bIn = inputs.count > 1 ? [inputs[0]] + inputs[(n + 1)...] : [inputs[0]]
        let mask = masks.first ?? nil
        let fr = try forwardLayer.forward(fIn, masks: [mask], training: training)
        let br = try backwardLayer.forward(bIn, masks: [mask], training: training)
        let seq = forwardLayer.returnSequences
        let a = fr.outputs[0]
        let b = seq ? br.outputs[0].reversedAlongAxis1() : br.outputs[0]
        let sequences: [Tensor]
        switch mergeMode {
        case .concat?: sequences = [try Tensor.concatenated([a, b], axis: -1)]
        case .sum?: sequences = [try a + b]
        case .mul?: sequences = [try a * b]
        case .ave?: sequences = [try (a + b) * 0.5]
        case nil: sequences = [a, b]
        }
        let k = sequences.count
        let outputs = sequences + fr.outputs.dropFirst() + br.outputs.dropFirst()
        let outMask: Tensor? = seq ? mask : nil
        let u = a.shape.last!
        guard let mergeMode = self.mergeMode else {
            // Separate outputs: each direction gets its own gradient (the backward one flipped to processing order).
            return LayerOutput(outputs: outputs, masks: Array(repeating: outMask, count: k) + Array(repeating: nil, count: outputs.count - k)) { grads in
                let dA = grads[0], dB = seq ? grads[1].map { $0.reversedAlongAxis1() } : grads[1]
                return try Bidirectional.combine(fr, br, dA: dA, dB: dB, stateGrads: Array(grads.dropFirst(k)), n: n, explicitStates: inputs.count > 1)
            }
        }
        return LayerOutput(outputs: outputs, masks: [outMask] + Array(repeating: nil, count: outputs.count - 1)) { grads in
            var dA: Tensor? = nil, dB: Tensor? = nil
            if let g = grads[0] {
                switch mergeMode {
                case .concat:
                    let rows = g.count / (2 * u)
                    var ga = [Float](repeating: 0, count: rows * u), gb = ga
                    for r in 0..<rows { for k in 0..<u { ga[r * u + k] = g.scalars[r * 2 * u + k]; gb[r * u + k] = g.scalars[r * 2 * u + u + k] } }
                    dA = Tensor(uncheckedShape: a.shape, scalars: ga); dB = Tensor(uncheckedShape: a.shape, scalars: gb)
                case .sum: dA = g; dB = g
                case .ave: dA = g * 0.5; dB = g * 0.5
                case .mul: dA = try g * b; dB = try g * a
                }
                if seq { dB = dB!.reversedAlongAxis1() }
            }
            return try Bidirectional.combine(fr, br, dA: dA, dB: dB, stateGrads: Array(grads.dropFirst()), n: n, explicitStates: inputs.count > 1)
        }
    }

    /// Runs both directions' pullbacks (sequence gradients in each direction's processing order, then the
    /// state gradients: forward's n, backward's n) and sums their input gradients.
    private static func combine(_ fr: LayerOutput, _ br: LayerOutput, dA: Tensor?, dB: Tensor?, stateGrads: [Tensor?],
                                n: Int, explicitStates: Bool) throws -> [Tensor?] {
        let fStates = Array(stateGrads.prefix(n)), bStates = Array(stateGrads.dropFirst(n))
        let df = try fr.pullback([dA] + fStates), db = try br.pullback([dB] + bStates)
        var dx: Tensor? = df[0]
        if let d = db[0] { dx = try dx.map { try $0 + d } ?? d }
        return [dx] + (explicitStates ? Array(df.dropFirst()) + Array(db.dropFirst()) : [])
    }
}
