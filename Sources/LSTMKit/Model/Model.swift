import Foundation

/// A graph of layer calls from symbolic inputs to symbolic outputs (Keras's functional `Model`).
///
/// ```swift
/// let x = Input(shape: [3, 2])
/// let encoded = try LSTM(units: 64)(x)
/// let decoded = try TimeDistributed(Dense(units: 2))(LSTM(units: 64, returnSequences: true)(RepeatVector(3)(encoded)))
/// let autoencoder = try Model(inputs: x, outputs: decoded)
/// let encoder = try Model(inputs: x, outputs: encoded)     // shares the encoder LSTM's weights
/// ```
/// Layers are objects, so models built from one graph share weights. Several inputs and outputs are
/// supported (`Model(inputs: [a, b], outputs: [y, h, c])`); `callAll` returns every output.
public class Model {
    /// Unique name: `functional`, `functional_1`, … (`sequential` for `Sequential`).
    public let name: String
    /// Symbolic inputs, in the order concrete inputs are passed.
    public internal(set) var inputs: [SymbolicTensor] = []
    /// Symbolic outputs, in the order concrete outputs are returned.
    public internal(set) var outputs: [SymbolicTensor] = []
    /// Every layer call of the graph in execution (topological) order, Input nodes included.
    public internal(set) var nodes: [Node] = []
    /// Storage for the training part of LSTMKit (compile settings, optimizer state, history).
    var trainingStorage: [String: Any] = [:]
    /// Held by `fit`, `evaluate` and `trainOnBatch`, which share the compiled state (history, running
    /// metrics): another thread's call waits; the same thread may nest them (e.g. from a callback).
    let trainingLock = NSRecursiveLock()
    /// How many times the model was called on symbolic tensors (the next `ModelCall.index`).
    var symbolicCallCount = 0

    /// A model computing `outputs` from `inputs`; throws when an output does not depend only on the inputs.
    public init(inputs: [SymbolicTensorConvertible], outputs: [SymbolicTensorConvertible], name: String? = nil) throws {
        self.name = name ?? LayerNaming.uniqueName("functional")
        try setGraph(inputs: inputs.map(\.symbolicTensor), outputs: outputs.map(\.symbolicTensor))
    }

    /// A model with one input and one output.
    public convenience init(inputs: SymbolicTensorConvertible, outputs: SymbolicTensorConvertible, name: String? = nil) throws {
        try self.init(inputs: [inputs], outputs: [outputs], name: name)
    }

    /// A model with one input and several outputs (e.g. an LSTM's `[output, h, c]`).
    public convenience init(inputs: SymbolicTensorConvertible, outputs: [SymbolicTensorConvertible], name: String? = nil) throws {
        try self.init(inputs: [inputs], outputs: outputs, name: name)
    }

    /// A model with several inputs and one output.
    public convenience init(inputs: [SymbolicTensorConvertible], outputs: SymbolicTensorConvertible, name: String? = nil) throws {
        try self.init(inputs: inputs, outputs: [outputs], name: name)
    }

    /// `Model(x, y)`, Keras's positional form: one input, one output.
    public convenience init(_ inputs: SymbolicTensorConvertible, _ outputs: SymbolicTensorConvertible, name: String? = nil) throws {
        try self.init(inputs: [inputs], outputs: [outputs], name: name)
    }

    /// `Model(encoder.inputs, decoder(encoder(encoder.inputs)))`: several inputs, one output.
    public convenience init(_ inputs: [SymbolicTensorConvertible], _ outputs: SymbolicTensorConvertible, name: String? = nil) throws {
        try self.init(inputs: inputs, outputs: [outputs], name: name)
    }

    /// `Model(x, [y, h, c])`: one input, several outputs.
    public convenience init(_ inputs: SymbolicTensorConvertible, _ outputs: [SymbolicTensorConvertible], name: String? = nil) throws {
        try self.init(inputs: [inputs], outputs: outputs, name: name)
    }

    /// `Model([a, b], [y, z])`: several inputs and outputs.
    public convenience init(_ inputs: [SymbolicTensorConvertible], _ outputs: [SymbolicTensorConvertible], name: String? = nil) throws {
        try self.init(inputs: inputs, outputs: outputs, name: name)
    }

    /// For subclasses that build their graph later (`Sequential`).
    init(deferredName: String) { name = deferredName }

    /// Keras class name shown by `summary()`.
    public var className: String { "Functional" }

    /// Layers in execution order, each once (shared layers appear at their first use).
    /// Like Keras, a functional model lists its `InputLayer`s; `Sequential` does not.
    public var layers: [Layer] {
        var seen = Set<ObjectIdentifier>(), out = [Layer]()
        for n in nodes where seen.insert(ObjectIdentifier(n.layer)).inserted { out.append(n.layer) }
        return out
    }

    /// The layer called `name`; throws listing the known names otherwise.
    public func layer(named name: String) throws -> Layer {
        if let l = layers.first(where: { $0.name == name }) { return l }
        throw LSTMKitError.invalidArgument("model '\(self.name)' has no layer named '\(name)'; layers: \(layers.map(\.name).joined(separator: ", "))")
    }

    /// Every parameter once (a layer shared by two nodes contributes its weights once), in layer order.
    public var parameters: [Parameter] {
        var seen = Set<ObjectIdentifier>(), out = [Parameter]()
        for l in layers { for p in l.parameters where seen.insert(ObjectIdentifier(p)).inserted { out.append(p) } }
        return out
    }

    /// Parameters optimisers update.
    public var trainableParameters: [Parameter] {
        var seen = Set<ObjectIdentifier>(), out = [Parameter]()
        for l in layers { for p in l.trainableParameters where seen.insert(ObjectIdentifier(p)).inserted { out.append(p) } }
        return out
    }

    /// Total number of weight scalars.
    public func countParams() -> Int { parameters.reduce(0) { $0 + $1.count } }

    /// All weights in layer order, Keras layout (what Keras's `model.get_weights()` returns).
    public func getWeights() -> [Tensor] { parameters.map(\.value) }

    /// Replaces all weights (same order and shapes as `getWeights()`); throws naming the first mismatch.
    public func setWeights(_ weights: [Tensor]) throws {
        let params = parameters
        guard weights.count == params.count else {
            throw LSTMKitError.shapeMismatch("model '\(name)' expects \(params.count) weight arrays, got \(weights.count)")
        }
        for (p, w) in zip(params, weights) where p.shape != w.shape {
            throw LSTMKitError.shapeMismatch("model '\(name)' weight '\(p.path)' expects shape \(formatShape(p.shape)), got \(formatShape(w.shape))")
        }
        for (p, w) in zip(params, weights) { p.value = w }
    }

    /// Sets every parameter gradient to zero.
    public func zeroGradients() { for p in parameters { p.zeroGrad() } }

    /// Forgets the states of every stateful RNN in the model.
    public func resetStates() { for l in layers { l.resetRecurrentStates() } }

    /// Output shapes (batch `nil`), one per model output.
    public var outputShapes: [[Int?]] { outputs.map(\.shape) }

    /// Input shapes (batch `nil`), one per model input.
    public var inputShapes: [[Int?]] { inputs.map(\.shape) }

    /// Keras's `output_names`: the name of the layer producing each output (they name per-output logs).
    public var outputNames: [String] { outputs.map(\.layer.name) }

    // MARK: - Graph

    func setGraph(inputs: [SymbolicTensor], outputs: [SymbolicTensor]) throws {
        guard !inputs.isEmpty, !outputs.isEmpty else {
            throw LSTMKitError.graph("model '\(name)' needs at least one input and one output, got \(inputs.count) and \(outputs.count)")
        }
        for i in inputs where !(i.layer is Input) {
            throw LSTMKitError.graph("model inputs must come from Input(shape:), got \(i) produced by \(i.layer.className) '\(i.layer.name)'")
        }
        var order = [Node](), visited = Set<ObjectIdentifier>()
        func visit(_ n: Node) throws {
            guard visited.insert(ObjectIdentifier(n)).inserted else { return }
            if n.layer is Input {
                guard inputs.contains(where: { $0.node === n }) else {
                    throw LSTMKitError.graph("graph disconnected: the outputs depend on \(n.layer.className) '\(n.layer.name)', which is not among the model's inputs (\(inputs.map { $0.layer.name }.joined(separator: ", ")))")
                }
            }
            for i in n.inputs { try visit(i.node) }
            order.append(n)
        }
        for i in inputs { try visit(i.node) }
        for o in outputs { try visit(o.node) }
        self.inputs = inputs
        self.outputs = outputs
        self.nodes = order
    }

    /// Builds the graph before the first concrete call if the model defers it (`Sequential`).
    func prepareGraph(for xs: [Tensor]) throws {}

    /// Builds the graph before the first symbolic call if the model defers it (`Sequential`).
    func prepareGraph(forSymbolic xs: [SymbolicTensor]) throws {}

    /// The layer that first consumes model input `i` (for error messages naming a real layer).
    func consumer(ofInput i: Int) -> Layer {
        let t = inputs[i]
        return nodes.first { $0.inputs.contains { $0 === t } }?.layer ?? t.layer
    }

    /// Checks concrete inputs against the model's input shapes.
    func checkInputs(_ xs: [Tensor]) throws {
        guard xs.count == inputs.count else {
            throw LSTMKitError.invalidArgument("model '\(name)' expects \(inputs.count) input tensor(s), got \(xs.count)")
        }
        for (i, x) in xs.enumerated() {
            let expected = inputs[i].shape
            let ok = x.rank == expected.count && zip(x.shape, expected).allSatisfy { $1 == nil || $0 == $1 }
            if !ok {
                let l = consumer(ofInput: i)
                throw LSTMKitError.shapeMismatch(
                    "\(l.className) '\(l.name)' expects input of shape \(formatShape(expected)), got \(formatShape(x.shape))")
            }
        }
    }
}
