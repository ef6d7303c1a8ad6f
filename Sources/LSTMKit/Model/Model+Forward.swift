/// The result of a model's forward pass with masks and a pullback that also returns input gradients.
public struct ModelForward {
    /// One tensor per model output.
    public var outputs: [Tensor]
    /// The (B, T) mask of each output, or nil (Keras masks the loss with it).
    public var masks: [Tensor?]
    /// d(loss)/d(output) per output (nil = zero) → d(loss)/d(input) per model input (nil = none);
    /// ACCUMULATES parameter gradients into every `Parameter.grad`.
    public var pullback: ([Tensor?]) throws -> [Tensor?]
}

extension Model {
    /// Runs the graph on concrete inputs: the seam the training loop uses.
    ///
    /// `pullback` takes d(loss)/d(output) per model output (nil = zero) and ADDS the gradients into
    /// every `Parameter.grad` (call `zeroGradients()` first). Each call keeps its own caches, so two
    /// forward passes may be alive at once and shared layers work.
    public func forward(_ inputs: [Tensor], training: Bool) throws -> (outputs: [Tensor], pullback: ([Tensor?]) throws -> Void) {
        let f = try forwardWithMasks(inputs, training: training)
        return (f.outputs, { _ = try f.pullback($0) })
    }

    /// Like `forward(_:training:)`, also returning output masks and input gradients.
    public func forwardWithMasks(_ xs: [Tensor], training: Bool) throws -> ModelForward {
        try prepareGraph(for: xs)
        try checkInputs(xs)
        struct Key: Hashable { let node: ObjectIdentifier; let index: Int }
        func key(_ t: SymbolicTensor) -> Key { Key(node: ObjectIdentifier(t.node), index: t.index) }
        var values = [Key: Tensor](), masks = [Key: Tensor]()
        for (t, x) in zip(inputs, xs) { values[key(t)] = x }
        var tape = [(Node, ([Tensor?]) throws -> [Tensor?])]()
        tape.reserveCapacity(nodes.count)
        for node in nodes where !(node.layer is Input) {
            let ins = node.inputs.map { values[key($0)]! }
            let inMasks = node.inputs.map { masks[key($0)] }
            let r = try node.layer.apply(ins, masks: inMasks, training: training)
            for (i, y) in r.outputs.enumerated() {
                let k = Key(node: ObjectIdentifier(node), index: i)
                values[k] = y
                if i < r.masks.count, let m = r.masks[i] { masks[k] = m }
            }
            tape.append((node, r.pullback))
        }
        let outs = outputs.map { values[key($0)]! }
        let outMasks = outputs.map { masks[key($0)] }
        let modelInputs = inputs, modelOutputs = outputs
        return ModelForward(outputs: outs, masks: outMasks) { dOuts in
            guard dOuts.count == modelOutputs.count else {
                throw LSTMKitError.invalidArgument("pullback expects \(modelOutputs.count) output gradient(s), got \(dOuts.count)")
            }
            var grads = [Key: Tensor]()
            func add(_ k: Key, _ g: Tensor) throws {
                if let old = grads[k] { grads[k] = try old + g } else { grads[k] = g }
            }
            for (o, g) in zip(modelOutputs, dOuts) {
                guard let g else { continue }
                let expected = outs[modelOutputs.firstIndex { $0 === o }!].shape
                guard g.shape == expected else {
                    throw LSTMKitError.shapeMismatch("gradient for output \(o) expects shape \(formatShape(expected)), got \(formatShape(g.shape))")
                }
                try add(key(o), g)
            }
            for (node, pullback) in tape.reversed() {
                let outGrads: [Tensor?] = node.outputShapes.indices.map { grads[Key(node: ObjectIdentifier(node), index: $0)] }
                if outGrads.allSatisfy({ $0 == nil }) { continue }
                let inGrads = try pullback(outGrads)
                for (t, g) in zip(node.inputs, inGrads) { if let g { try add(key(t), g) } }
            }
            return modelInputs.map { grads[key($0)] }
        }
    }


    /// The model's first output for one input tensor: `try model(x)`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try callAll([x])[0] }

    /// Every output for the given inputs (inference mode), e.g. `[output, h, c]`.
    public func callAll(_ xs: [Tensor], training: Bool = false) throws -> [Tensor] {
        try GradientMode.withoutGradients { try forwardWithMasks(xs, training: training).outputs }
    }

    /// Calls the model on symbolic tensors, inlining its graph into the caller's graph (shared weights).
    /// Returns every output; the new nodes remember this call (`Node.modelCall`), so the enclosing model
    /// shows this model as one row in its summary.
    public func callAll(_ xs: [SymbolicTensorConvertible]) throws -> [SymbolicTensor] {
        try prepareGraph(forSymbolic: xs.map(\.symbolicTensor))
        guard xs.count == inputs.count else {
            throw LSTMKitError.invalidArgument("model '\(name)' expects \(inputs.count) input(s), got \(xs.count)")
        }
        var map = [ObjectIdentifier: [SymbolicTensor]]()
        for (i, x) in zip(inputs, xs) {
            let t = x.symbolicTensor
            let ok = t.shape.count == i.shape.count && zip(t.shape, i.shape).allSatisfy { $1 == nil || $0 == nil || $0 == $1 }
            if !ok {
                throw LSTMKitError.shapeMismatch("model '\(name)' expects input of shape \(formatShape(i.shape)), got \(formatShape(t.shape))")
            }
            map[ObjectIdentifier(i.node)] = [t]
        }
        var made = [Node]()
        for node in nodes where !(node.layer is Input) {
            let ins = node.inputs.map { map[ObjectIdentifier($0.node)]![$0.index] }
            let outs = try node.layer.callAll(ins)
            if let n = outs.first?.node { made.append(n) }
            map[ObjectIdentifier(node)] = outs
        }
        let results = outputs.map { map[ObjectIdentifier($0.node)]![$0.index] }
        let call = ModelCall(model: self, index: symbolicCallCount, inputs: xs.map(\.symbolicTensor), outputs: results)
        symbolicCallCount += 1
        for n in made { n.modelCall = call }
        return results
    }

    /// Calls the model on one symbolic tensor, returning its first symbolic output.
    public func callAsFunction(_ x: SymbolicTensorConvertible) throws -> SymbolicTensor { try callAll([x])[0] }

    /// Calls the model on a list of symbolic tensors (one per model input, e.g. `encoder(encoder.inputs)`),
    /// returning its output; throws when the model has several outputs (use `callAll` for those).
    public func callAsFunction(_ xs: [SymbolicTensorConvertible]) throws -> SymbolicTensor {
        let outs = try callAll(xs)
        guard outs.count == 1 else {
            throw LSTMKitError.invalidArgument("model '\(name)' has \(outs.count) outputs; call it with callAll(_:) to get all of them, got a call expecting one")
        }
        return outs[0]
    }

    /// The model's first output for a list of concrete inputs, one per model input: `try model([a, b])`.
    public func callAsFunction(_ xs: [Tensor]) throws -> Tensor { try callAll(xs)[0] }
}
