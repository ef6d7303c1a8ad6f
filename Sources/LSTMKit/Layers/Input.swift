/// The entry point of a functional model: `let x = Input(shape: [3, 2])` stands for a batch of
/// (3, 2) samples, i.e. symbolic shape `(None, 3, 2)`.
///
/// An `Input` can be passed wherever a symbolic tensor is expected (`try LSTM(units: 4)(x)`), and
/// can start a `Sequential` model's layer list.
public final class Input: Layer, SymbolicTensorConvertible {
    /// The per-sample shape (without the batch axis); `nil` extents are unknown (e.g. variable T).
    public let shape: [Int?]
    /// A fixed batch size, if given (needed only by stateful RNNs).
    public let batchSize: Int?
    private var inputTensor: SymbolicTensor!
    /// The symbolic tensor this input stands for: shape `[batchSize] + shape`.
    public var symbolicTensor: SymbolicTensor { inputTensor }

    /// An input of per-sample `shape`, e.g. `Input(shape: [3, 2])` for (timesteps 3, features 2).
    public init(shape: [Int?], batchSize: Int? = nil, name: String? = nil) {
        self.shape = shape
        self.batchSize = batchSize
        super.init(name: name, defaultPrefix: "input_layer", inputShape: shape)
        let full = [batchSize] + shape
        isBuilt = true
        builtInputShapes = [full]
        outputShapes = [full]
        inputTensor = Node(layer: self, inputs: [], outputShapes: [full]).makeOutputs()[0]
    }

    /// Rebuilds an input from its config (`batch_shape`).
    convenience init(config: LayerConfig) throws {
        let full = try config.shape("batch_shape") ?? []
        self.init(shape: Array(full.dropFirst()), batchSize: full.first ?? nil, name: config.name)
    }

    public override var className: String { "InputLayer" }

    override var configValues: [String: ConfigValue] { ["batch_shape": .shape([batchSize] + shape)] }

    override func computeOutputShapes(_ inputShapes: [[Int?]]) throws -> [[Int?]] {
        try expect(inputShapes[0], [batchSize] + shape)
        return [[inputShapes[0].first ?? nil] + shape]
    }

    // x: any shape matching `shape` → the same tensor.
    override func forward(_ inputs: [Tensor], masks: [Tensor?], training: Bool) throws -> LayerOutput {
        LayerOutput(outputs: inputs, masks: masks, pullback: { $0 })
    }
}
