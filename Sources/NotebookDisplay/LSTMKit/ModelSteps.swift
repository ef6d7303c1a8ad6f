import LSTMKit

/// A model's graph as the display helpers walk it: one step per layer call, except that the layers a
/// nested model's call inlined (`decoder(encoder(x))`) are one step for that call, as Keras draws a
/// nested model as one box and `summary()` lists it as one row.
struct ModelSteps {
    /// One step: a plain layer call, or a nested model's call.
    enum Step {
        case layer(Node)
        case call(ModelCall)

        /// The symbolic tensors the step reads.
        var inputs: [SymbolicTensor] {
            switch self {
            case .layer(let node): return node.inputs
            case .call(let call): return call.inputs
            }
        }
    }

    /// Steps in an order where every step comes after the steps it reads from.
    let steps: [Step]
    private let stepOfNode: [ObjectIdentifier: Int]
    private let stepOfCall: [ObjectIdentifier: Int]

    init(_ model: Model) {
        // Group, in first-use order, then order the groups so producers come first (a call's inputs may
        // be produced after the call's first inner node in the flat order).
        var groups: [Step] = [], groupOfNode = [ObjectIdentifier: Int](), groupOfCall = [ObjectIdentifier: Int]()
        for node in model.nodes {
            if let call = node.modelCall {
                let id = ObjectIdentifier(call)
                if groupOfCall[id] == nil { groupOfCall[id] = groups.count; groups.append(.call(call)) }
                groupOfNode[ObjectIdentifier(node)] = groupOfCall[id]
            } else {
                groupOfNode[ObjectIdentifier(node)] = groups.count
                groups.append(.layer(node))
            }
        }
        var order: [Int] = [], state = [Int](repeating: 0, count: groups.count)
        func visit(_ g: Int) {
            guard state[g] == 0 else { return }
            state[g] = 1
            for t in groups[g].inputs { if let p = groupOfNode[ObjectIdentifier(t.node)], p != g { visit(p) } }
            state[g] = 2
            order.append(g)
        }
        for g in groups.indices { visit(g) }
        var position = [Int](repeating: 0, count: groups.count)
        for (i, g) in order.enumerated() { position[g] = i }
        steps = order.map { groups[$0] }
        stepOfNode = groupOfNode.mapValues { position[$0] }
        stepOfCall = groupOfCall.mapValues { position[$0] }
    }

    /// The step producing `tensor` and which of that step's outputs it is, or nil outside the model.
    func producer(of tensor: SymbolicTensor) -> (step: Int, output: Int)? {
        if let call = tensor.node.modelCall, let step = stepOfCall[ObjectIdentifier(call)] {
            return (step, call.outputPosition(of: tensor) ?? 0)
        }
        return stepOfNode[ObjectIdentifier(tensor.node)].map { ($0, tensor.index) }
    }
}
