/// What a recurrent cell's sequence pass hands back to `Recurrent`.
struct RecurrenceResult {
    /// Per-step outputs in processing order: (B, T, u).
    var sequence: Tensor
    /// Final states, each (B, u): LSTM `[h, c]`, GRU and SimpleRNN `[h]`.
    var finalStates: [Tensor]
    /// (d sequence (B, T, u) or nil, d final states) → (dx (B, T, d), d initial states).
    var pullback: (Tensor?, [Tensor?]) -> (Tensor, [Tensor])
}

/// Shared machinery of LSTM, GRU and SimpleRNN: option handling, shapes, initial and stateful states,
/// masks, time reversal and dropout masks. Subclasses supply `recurrence`, the per-sequence pass.
///
/// x: (B, T, d) → output (B, T, u) with `returnSequences`, else (B, u); with `returnState` the
/// final states follow the output (`[output, h, c]` for LSTM).
public class Recurrent: Layer {
    /// Size of the hidden state.
    public let units: Int
    /// Return the output of every step (B, T, u) instead of the last one (B, u).
    public let returnSequences: Bool
    /// Also return the final states after the output.
    public let returnState: Bool
    /// Process the sequence from the last step to the first; outputs stay in processing order.
    public let goBackwards: Bool
    /// Keep the final states of a call as the initial states of the next one (until `resetStates()`).
    public let stateful: Bool
    /// Fraction of input features dropped during training (one mask per sequence).
    public let dropout: Float
    /// Fraction of recurrent state units dropped during training (one mask per sequence).
    public let recurrentDropout: Float
    /// States carried between calls by a stateful layer, each (B, u).
    public internal(set) var states: [Tensor]?

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
    /// Initializer, regularizer and constraint of each weight.
    let kernelOptions: WeightOptions, recurrentOptions: WeightOptions, biasOptions: WeightOptions

    /// Output zeros at masked steps instead of repeating the previous output (Keras sets this on the
    /// two directions of a `Bidirectional` that returns sequences).
    var zeroOutputForMask = false

    /// Dropout masks per call: one shared by all gates, or (LSTM with `recurrentDropout > 0`, like
    /// Keras 3's "implementation 1") one per gate. Masks reach `recurrence` as (groups, B, ·).
    var dropoutMaskGroups: Int { 1 }

    /// Number of state tensors (LSTM 2, GRU/SimpleRNN 1).
    var stateCount: Int { 1 }

    init(units: Int, returnSequences: Bool, returnState: Bool, goBackwards: Bool, stateful: Bool,
         dropout: Float, recurrentDropout: Float, weights: (kernel: WeightOptions, recurrent: WeightOptions, bias: WeightOptions),
         inputShape: [Int?]?, name: String?, defaultPrefix: String) {
        self.units = units
        (kernelOptions, recurrentOptions, biasOptions) = weights
        self.returnSequences = returnSequences
        self.returnState = returnState
        self.goBackwards = goBackwards
        self.stateful = stateful
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        super.init(name: name, defaultPrefix: defaultPrefix, inputShape: inputShape)
    }

    override var inputArity: ClosedRange<Int> { 1...(1 + stateCount) }

    /// Common options and the weights' initializers, regularizers and constraints, for subclasses' `configValues`.
    var recurrentConfig: [String: ConfigValue] {
        (["units": .int(units), "return_sequences": .bool(returnSequences), "return_state": .bool(returnState),
          "go_backwards": .bool(goBackwards), "stateful": .bool(stateful),
          "dropout": .double(Double(dropout)), "recurrent_dropout": .double(Double(recurrentDropout))] as [String: ConfigValue])
            .merging(kernelOptions.config("kernel")) { $1 }.merging(recurrentOptions.config("recurrent")) { $1 }
            .merging(biasOptions.config("bias")) { $1 }
    }

    /// Forgets the states of a stateful layer (the next call starts from zeros).
    public func resetStates() { states = nil }

    override func resetRecurrentStates() { states = nil }

    /// The input feature count the weights were built for.
    var inputDim: Int { builtInputShapes.first?.last.flatMap { $0 } ?? 0 }

    override func computeOutputShapes(_ inputShapes: [[Int?]]) throws -> [[Int?]] {
        guard units > 0 else { throw LSTMKitError.invalidArgument("\(className) '\(name)' needs units > 0, got \(units)") }
        guard (0...1).contains(dropout), (0...1).contains(recurrentDropout) else {
            throw LSTMKitError.invalidArgument(
                "\(className) '\(name)' needs dropout and recurrentDropout in [0, 1], got \(dropout) and \(recurrentDropout)")
        }
        let s = inputShapes[0]
        let expected: [Int?] = [nil, declaredInputShape?.first ?? nil, isBuilt ? inputDim : (declaredInputShape?.last ?? nil)]
        guard s.count == 3, s[2] != nil else {
            throw LSTMKitError.shapeMismatch("\(className) '\(name)' expects input of shape \(formatShape(expected)) (batch, timesteps, features), got \(formatShape(s))")
        }
        if isBuilt { try expect(s, [nil, nil, inputDim]) }
        if inputShapes.count > 1 {
            guard inputShapes.count == 1 + stateCount else {
                throw LSTMKitError.invalidArgument("\(className) '\(name)' expects \(stateCount) initial state tensors, got \(inputShapes.count - 1)")
            }
            for st in inputShapes.dropFirst() { try expect(st, [s[0], units], what: "initial state") }
        }
        let out: [Int?] = returnSequences ? [s[0], s[1], units] : [s[0], units]
        return returnState ? [out] + Array(repeating: [s[0], units], count: stateCount) : [out]
    }

    /// The per-sequence pass on already reversed (if `goBackwards`) inputs; see `RecurrenceResult`. Without
    /// `initialGradient` (the initial states were not inputs, so nothing reads their gradient) the pullback
    /// may leave out the product that gives it, and the state gradients it returns are then not to be used.
    func recurrence(x: Tensor, initial: [Tensor], mask: Tensor?,
                    inputDropMask: Tensor?, recurrentDropMask: Tensor?, initialGradient: Bool = true) -> RecurrenceResult {
        preconditionFailure("internal: \(type(of: self)) must override recurrence")
    }

    // x: (B, T, d), states: stateCount × (B, u) → outputs as described in the class comment.
    override func forward(_ inputs: [Tensor], masks: [Tensor?], training: Bool) throws -> LayerOutput {
        var x = inputs[0]
        let b = x.shape[0], t = x.shape[1], d = x.shape[2], u = units
        guard t > 0 else { throw LSTMKitError.emptyData("\(className) '\(name)' got a sequence with 0 timesteps, shape \(formatShape(x.shape))") }
        var initial: [Tensor]
        let explicitStates = inputs.count > 1
        if explicitStates {
            initial = Array(inputs.dropFirst())
        } else if stateful, let st = states {
            guard st[0].shape[0] == b else {
                throw LSTMKitError.shapeMismatch(
                    "stateful \(className) '\(name)' keeps states for batch size \(st[0].shape[0]), got a batch of \(b); call resetStates() to change it")
            }
            initial = st
        } else {
            initial = Array(repeating: Tensor(uncheckedShape: [b, u], repeating: 0), count: stateCount)
        }
        var mask = masks.first ?? nil
        if let m = mask, m.shape != [b, t] {
            throw LSTMKitError.shapeMismatch("\(className) '\(name)' expects a mask of shape \(formatShape([b, t])), got \(formatShape(m.shape))")
        }
        if goBackwards { x = x.reversedAlongAxis1(); mask = mask.map { $0.reshapedUnchecked([b, t, 1]).reversedAlongAxis1().reshapedUnchecked([b, t]) } }
        let groups = dropoutMaskGroups
        let inDrop = training && dropout > 0 && dropout < 1 ? Recurrent.dropMask([groups, b, d], rate: dropout) : nil
        let recDrop = training && recurrentDropout > 0 && recurrentDropout < 1 ? Recurrent.dropMask([groups, b, u], rate: recurrentDropout) : nil
        var r = recurrence(x: x, initial: initial, mask: mask, inputDropMask: inDrop, recurrentDropMask: recDrop,
                           initialGradient: explicitStates)
        if stateful { states = r.finalStates }
        if zeroOutputForMask, let m = mask {
            // (B, T, u) ⊙ mask (B, T, 1), in processing order; the gradient of a zeroed output is zero.
            let m3 = m.reshapedUnchecked([b, t, 1])
            let inner = r.pullback
            r.sequence = try r.sequence * m3
            r.pullback = { dSeq, dFinal in inner(dSeq.map { try! $0 * m3 }, dFinal) }
        }

        var outputs = [returnSequences ? r.sequence : r.sequence.lastStep()]
        if returnState { outputs += r.finalStates }
        let outMask: Tensor? = returnSequences ? (masks.first ?? nil) : nil
        let goBackwards = self.goBackwards, returnSequences = self.returnSequences, returnState = self.returnState
        let stateCount = self.stateCount
        return LayerOutput(outputs: outputs, masks: [outMask] + Array(repeating: nil, count: outputs.count - 1)) { grads in
            var dSeq: Tensor? = nil
            if let g = grads[0] {
                if returnSequences { dSeq = g } else {
                    // Only the last step's output was used: its gradient goes there, zeros elsewhere.
                    var full = [Float](repeating: 0, count: b * t * u)
                    if u > 0 {
                        g.withUnsafeBufferPointer { gs in full.withUnsafeMutableBufferPointer { fs in
                            for i in 0..<b { (fs.baseAddress! + (i * t + t - 1) * u).update(from: gs.baseAddress! + i * u, count: u) }
                        } }
                    }
                    dSeq = Tensor(uncheckedShape: [b, t, u], scalars: full)
                }
            }
            let dFinal: [Tensor?] = returnState ? Array(grads[1...stateCount]) : Array(repeating: nil, count: stateCount)
            var (dx, dInit) = r.pullback(dSeq, dFinal)
            if goBackwards { dx = dx.reversedAlongAxis1() }
            return [dx] + (explicitStates ? dInit.map(Optional.some) : [])
        }
    }

    /// Inverted-dropout keep mask: each entry 1/(1−rate) with probability 1−rate, else 0.
    static func dropMask(_ shape: [Int], rate: Float) -> Tensor {
        let keep = 1 - rate
        let u = Tensor.uncheckedRandomUniform(shape)
        return u.map { $0 < keep ? 1 / keep : 0 }
    }

    // MARK: - Calls with initial states

    /// Calls the layer on a symbolic input with symbolic initial states (`[h0, c0]` for an LSTM).
    public func callAsFunction(_ input: SymbolicTensorConvertible, initialState: [SymbolicTensorConvertible]) throws -> SymbolicTensor {
        try callAll([input] + initialState)[0]
    }

    /// Every symbolic output for a symbolic input with symbolic initial states.
    public func callAll(_ input: SymbolicTensorConvertible, initialState: [SymbolicTensorConvertible]) throws -> [SymbolicTensor] {
        try callAll([input] + initialState)
    }

    /// The (first) output for a concrete input and concrete initial states, each (B, units).
    public func callAsFunction(_ input: Tensor, initialState: [Tensor], training: Bool = false) throws -> Tensor {
        try callAll([input] + initialState, training: training)[0]
    }
}

extension Tensor {
    /// Same scalars, new shape; callers guarantee the count.
    func reshapedUnchecked(_ s: [Int]) -> Tensor { Tensor(uncheckedShape: s, scalars: scalars) }

    /// (B, T, u) → (B, u): the last timestep.
    func lastStep() -> Tensor {
        let b = shape[0], t = shape[1], u = shape[2]
        var out = [Float](repeating: 0, count: b * u)
        if u > 0 && t > 0 {
            scalars.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { o in
                for i in 0..<b { (o.baseAddress! + i * u).update(from: s.baseAddress! + (i * t + t - 1) * u, count: u) }
            } }
        }
        return Tensor(uncheckedShape: [b, u], scalars: out)
    }
}
