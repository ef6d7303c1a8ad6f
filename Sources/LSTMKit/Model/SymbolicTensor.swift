/// Anything that can stand for a symbolic tensor in the functional API: a `SymbolicTensor` or an `Input`.
public protocol SymbolicTensorConvertible {
    /// The symbolic tensor this value stands for.
    var symbolicTensor: SymbolicTensor { get }
}

/// A placeholder in a model graph: the shape of a value (batch axis `nil`) and the node producing it.
///
/// Made by `Input(shape:)` and by calling layers on symbolic tensors; `Model(inputs:outputs:)` turns a
/// graph of them into a runnable model.
public final class SymbolicTensor: SymbolicTensorConvertible, CustomStringConvertible {
    /// Shape with the batch axis first, `nil` where unknown: `(None, 3, 2)` is `[nil, 3, 2]`.
    public let shape: [Int?]
    /// The layer call that produces this tensor.
    public let node: Node
    /// Which output of `node` this is (an LSTM with `returnState` has outputs 0, 1, 2).
    public let index: Int

    init(shape: [Int?], node: Node, index: Int) {
        self.shape = shape
        self.node = node
        self.index = index
    }

    /// Itself.
    public var symbolicTensor: SymbolicTensor { self }

    /// The layer that produces this tensor.
    public var layer: Layer { node.layer }

    /// `<SymbolicTensor shape=(None, 3, 2), name=lstm/output_0>`.
    public var description: String {
        "<SymbolicTensor shape=\(formatShape(shape)), name=\(node.layer.name)/output_\(index)>"
    }
}

/// One call of a layer in a graph: which symbolic tensors went in, and the output shapes.
public final class Node {
    /// The called layer.
    public let layer: Layer
    /// Symbolic inputs in call order (an RNN's initial states follow its input).
    public let inputs: [SymbolicTensor]
    /// Shapes of the outputs (batch `nil`).
    public let outputShapes: [[Int?]]
    /// The call of a nested model this node was inlined from (`decoder(encoder(x))`), or nil for a
    /// layer called directly. Set by `Model.callAll(_:)` on every node it makes.
    public internal(set) var modelCall: ModelCall?

    init(layer: Layer, inputs: [SymbolicTensor], outputShapes: [[Int?]]) {
        self.layer = layer
        self.inputs = inputs
        self.outputShapes = outputShapes
    }

    /// Layers whose outputs feed this node (the graph's incoming edges).
    public var inboundLayers: [Layer] { inputs.map(\.layer) }

    // Outputs are held weakly (a tensor holds its node strongly; the reverse would be a retain cycle
    // keeping every layer ever called alive). A lost output is recreated: identity in a graph is the
    // pair (node, index), not the object.
    private var weakOutputs: [WeakTensor] = []

    /// The symbolic outputs of this call.
    public var outputs: [SymbolicTensor] {
        if weakOutputs.count != outputShapes.count { weakOutputs = outputShapes.map { _ in WeakTensor() } }
        return outputShapes.indices.map { i in
            if let t = weakOutputs[i].tensor { return t }
            let t = SymbolicTensor(shape: outputShapes[i], node: self, index: i)
            weakOutputs[i].tensor = t
            return t
        }
    }

    func makeOutputs() -> [SymbolicTensor] { outputs }
}

private struct WeakTensor { weak var tensor: SymbolicTensor? }

extension Layer {
    private func firstNode(_ what: String) throws -> Node {
        guard let n = inboundNodes.first else {
            throw LSTMKitError.graph("\(className) '\(name)' has not been called on a symbolic tensor yet, so it has no \(what)")
        }
        return n
    }

    /// The symbolic output of the layer's first call (Keras's `layer.output`), e.g. to cut an encoder
    /// out of a trained autoencoder: `try Model(inputs: model.inputs, outputs: model.layers[1].output)`.
    public var output: SymbolicTensor { get throws { try firstNode("output").outputs[0] } }

    /// Every symbolic output of the layer's first call (`[output, h, c]` for an LSTM with `returnState`).
    public var outputs: [SymbolicTensor] { get throws { try firstNode("outputs").outputs } }

    /// The symbolic input of the layer's first call (Keras's `layer.input`).
    public var input: SymbolicTensor {
        get throws {
            if let i = self as? Input { return i.symbolicTensor }
            guard let t = try firstNode("input").inputs.first else {
                throw LSTMKitError.graph("\(className) '\(name)' has no inputs")
            }
            return t
        }
    }
}
