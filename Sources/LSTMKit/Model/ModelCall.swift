/// One call of a model inside another model's graph: `decoder(encoder(x))` makes two.
///
/// Calling a model on symbolic tensors inlines its layers into the caller's graph (so weights are
/// shared and the training loop sees plain layer calls); every node made by that inlining points back
/// to its `ModelCall`, so the enclosing model can show the nested model as one row in `summary()`, one
/// box in `plotModel` and one step in `traceShapes`, as Keras does.
public final class ModelCall {
    /// The called model.
    public let model: Model
    /// Which call of `model` this is (0 for its first), Keras's node index in "Connected to".
    public let index: Int
    /// The symbolic tensors the model was called on.
    public let inputs: [SymbolicTensor]
    /// Shapes of the call's outputs (batch `nil`), one per model output.
    public let outputShapes: [[Int?]]
    /// The outputs as (node identity, output index) pairs, to look their values up by node; the tensors
    /// themselves are not held (that would be a cycle: tensor → node → call → tensor).
    public let outputKeys: [(node: ObjectIdentifier, index: Int)]

    init(model: Model, index: Int, inputs: [SymbolicTensor], outputs: [SymbolicTensor]) {
        self.model = model
        self.index = index
        self.inputs = inputs
        self.outputShapes = outputs.map(\.shape)
        self.outputKeys = outputs.map { (ObjectIdentifier($0.node), $0.index) }
    }

    /// The position of `tensor` among the call's outputs, or nil when the call did not return it.
    public func outputPosition(of tensor: SymbolicTensor) -> Int? {
        outputKeys.firstIndex { $0.node == ObjectIdentifier(tensor.node) && $0.index == tensor.index }
    }

    /// `(None, 64)`, or `[(None, 4), (None, 4)]` for several outputs, as Keras's summary prints them.
    public var outputShapeText: String {
        outputShapes.count == 1 ? formatShape(outputShapes[0])
                                : "[" + outputShapes.map { formatShape($0) }.joined(separator: ", ") + "]"
    }
}
