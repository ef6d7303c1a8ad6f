import Foundation

/// What one call of a layer produced: outputs, their masks, and the pullback for backward.
///
/// `pullback` takes d(loss)/d(output) per output (nil = zero), adds weight gradients into the
/// layer's `Parameter.grad`s and returns d(loss)/d(input) per input (nil = no gradient, e.g. for
/// a mask). Each call gets its own closure and cache, so a layer shared by two graph nodes works.
public struct LayerOutput {
    /// The layer's outputs; an LSTM with `returnState` gives `[output, h, c]`.
    public var outputs: [Tensor]
    /// A (B, T) mask per output (1 = real step, 0 = padding), or nil.
    public var masks: [Tensor?]
    /// Backward pass: output gradients → input gradients, accumulating parameter gradients.
    public var pullback: ([Tensor?]) throws -> [Tensor?]
}

/// Base class of every layer. Layers are final subclasses that own their `Parameter`s.
///
/// A layer is built (its weights created) on its first call, from the shapes it sees; later calls
/// are checked against those shapes. Names follow Keras: `lstm`, `lstm_1`, `dense`, …
public class Layer {
    /// Unique name, e.g. `lstm_1`.
    public let name: String
    /// Whether optimisers update this layer's parameters.
    public var trainable: Bool = true { didSet { for p in parameters { p.trainable = trainable } } }
    /// True once weights exist (after the first call or `build`).
    public internal(set) var isBuilt = false
    /// The `inputShape:` given at construction (without the batch axis), if any.
    public internal(set) var declaredInputShape: [Int?]?
    /// Input shapes (batch as nil) the layer was built for.
    public internal(set) var builtInputShapes: [[Int?]] = []
    /// Output shapes (batch as nil) of the layer's first call — what `summary()` prints.
    public internal(set) var outputShapes: [[Int?]] = []
    /// Parameters this layer created itself (wrappers add their inner layer's through `sublayers`).
    var ownParameters: [Parameter] = []
    private var weakInboundNodes: [WeakNode] = []

    /// Keras class name shown by `summary()`: `LSTM`, `Dense`, `TimeDistributed`, …
    public var className: String { preconditionFailure("internal: \(type(of: self)) must override className") }

    init(name: String?, defaultPrefix: String, inputShape: [Int?]? = nil) {
        self.name = name ?? LayerNaming.uniqueName(defaultPrefix)
        self.declaredInputShape = inputShape
    }

    // MARK: - Hooks for subclasses

    /// Output shapes for the given input shapes (first axis = batch); throws on incompatible input.
    func computeOutputShapes(_ inputShapes: [[Int?]]) throws -> [[Int?]] {
        preconditionFailure("internal: \(type(of: self)) must override computeOutputShapes")
    }

    /// Creates the weights for the given input shapes. Layers without weights keep this default.
    func build(_ inputShapes: [[Int?]]) throws {}

    /// The forward pass on concrete tensors whose shapes have already been checked.
    func forward(_ inputs: [Tensor], masks: [Tensor?], training: Bool) throws -> LayerOutput {
        preconditionFailure("internal: \(type(of: self)) must override forward")
    }

    /// Layer-specific arguments for `config` (the base adds `name`, `trainable`, input shape).
    var configValues: [String: ConfigValue] { [:] }

    /// Forgets stateful RNN states (no-op for stateless layers; used by `Model.resetStates()`).
    func resetRecurrentStates() { for l in sublayers { l.resetRecurrentStates() } }

    /// Layers wrapped by this one (TimeDistributed, Bidirectional).
    var sublayers: [Layer] { [] }

    /// How many inputs a call takes at least (an RNN also accepts initial states after its input).
    var inputArity: ClosedRange<Int> { 1...1 }

    // MARK: - Public API

    /// All parameters, own ones first, then those of wrapped layers.
    public var parameters: [Parameter] { ownParameters + sublayers.flatMap(\.parameters) }

    /// Parameters that optimisers update.
    public var trainableParameters: [Parameter] { trainable ? parameters.filter(\.trainable) : [] }

    /// Total number of weight scalars (Keras's `count_params()`).
    public func countParams() -> Int { parameters.reduce(0) { $0 + $1.count } }

    /// Weights in Keras order and layout (LSTM: kernel (d, 4u), recurrent kernel (u, 4u), bias (4u)).
    public func getWeights() -> [Tensor] { parameters.map(\.value) }

    /// Replaces the weights; throws naming the expected and given shapes when they differ.
    public func setWeights(_ weights: [Tensor]) throws {
        let params = parameters
        guard isBuilt || !params.isEmpty else {
            throw LSTMKitError.graph("\(className) '\(name)' has no weights yet: call it or give it an inputShape first")
        }
        guard weights.count == params.count else {
            throw LSTMKitError.shapeMismatch(
                "\(className) '\(name)' expects \(params.count) weight arrays (\(params.map { formatShape($0.shape) }.joined(separator: ", "))), got \(weights.count)")
        }
        for (p, w) in zip(params, weights) where p.shape != w.shape {
            throw LSTMKitError.shapeMismatch(
                "\(className) '\(name)' weight '\(p.name)' expects shape \(formatShape(p.shape)), got \(formatShape(w.shape))")
        }
        for (p, w) in zip(params, weights) { p.value = w }
    }

    /// Type and arguments, for saving the architecture (`LayerRegistry.makeLayer` rebuilds it).
    public var config: LayerConfig {
        var v = configValues
        v["name"] = .string(name)
        v["trainable"] = .bool(trainable)
        if let s = declaredInputShape { v["input_shape"] = .shape(s) }
        return LayerConfig(className: className, values: v)
    }

    /// Graph nodes where this layer was called on symbolic tensors, oldest first.
    public var inboundNodes: [Node] { weakInboundNodes.compactMap(\.node) }

    /// Creates the weights for inputs of `inputShape` (without the batch axis), like Keras's `build`.
    public func build(inputShape: [Int?]) throws { try ensureBuilt([[nil] + inputShape]) }

    // MARK: - Building and calling

    /// Builds on first use, then returns output shapes, validating the inputs.
    func ensureBuilt(_ inputShapes: [[Int?]]) throws {
        guard inputArity.contains(inputShapes.count) else {
            throw LSTMKitError.invalidArgument(
                "\(className) '\(name)' expects \(inputArity.lowerBound == inputArity.upperBound ? "\(inputArity.lowerBound)" : "\(inputArity.lowerBound)...\(inputArity.upperBound)") inputs, got \(inputShapes.count)")
        }
        if !isBuilt {
            // Shapes can come from a file (model.json): a negative extent must throw, not reach an allocation.
            for s in inputShapes {
                if let bad = s.compactMap({ $0 }).first(where: { $0 < 0 }) {
                    throw LSTMKitError.shapeMismatch("\(className) '\(name)' got input of shape \(formatShape(s)) with a negative extent \(bad)")
                }
            }
            _ = try computeOutputShapes(inputShapes)   // validate first, so errors show the shapes as given
            let batchless = inputShapes.map { s in s.isEmpty ? s : [nil] + s.dropFirst() }
            let shapes = try computeOutputShapes(batchless)
            try build(batchless)
            builtInputShapes = batchless
            outputShapes = shapes
            isBuilt = true
            for p in parameters where !trainable { p.trainable = false }
        }
    }

    /// Throws when a weight of this layer or of a wrapped one no longer has the shape it was built with
    /// (`Parameter.value` is assignable): the kernels would read and write past its end.
    func checkParameterShapes() throws {
        for p in ownParameters { try p.checkShape() }
        for l in sublayers { try l.checkParameterShapes() }
    }

    /// Throws when a gradient of this layer or of a wrapped one was given another shape than its weight's.
    func checkGradientShapes() throws {
        for p in ownParameters { try p.checkGradientShape() }
        for l in sublayers { try l.checkGradientShapes() }
    }

    /// Calls the layer on concrete tensors, returning outputs, masks and the pullback.
    public func apply(_ inputs: [Tensor], masks: [Tensor?]? = nil, training: Bool = false) throws -> LayerOutput {
        let shapes = inputs.map { $0.shape.map(Optional.some) }
        try ensureBuilt(shapes)
        try checkParameterShapes()
        _ = try computeOutputShapes(shapes)
        var out = try forward(inputs, masks: masks ?? inputs.map { _ in nil }, training: training)
        // `Parameter.value` and `grad` are assignable: check again before the pullback reads the weights and
        // adds into their gradients.
        let pullback = out.pullback, outShapes = out.outputs.map(\.shape)
        out.pullback = { grads in   // keeps the layer alive as long as its pullback (it holds no reference back)
            // One gradient (or nil) per output, each of its output's shape: the layers index and copy them
            // trusting that (a short list or a small tensor read past its end).
            guard grads.count == outShapes.count else {
                throw LSTMKitError.invalidArgument(
                    "\(self.className) '\(self.name)' pullback expects \(outShapes.count) output gradient(s), got \(grads.count)")
            }
            for (i, (g, shape)) in zip(grads, outShapes).enumerated() where g != nil && g!.shape != shape {
                throw LSTMKitError.shapeMismatch(
                    "gradient for output \(i) of \(self.className) '\(self.name)' expects shape \(formatShape(shape)), got \(formatShape(g!.shape))")
            }
            try self.checkParameterShapes()
            try self.checkGradientShapes()
            return try pullback(grads)
        }
        return out
    }

    /// The layer's (first) output for a concrete input, e.g. `try dense(x)`.
    public func callAsFunction(_ input: Tensor, training: Bool = false) throws -> Tensor {
        try apply([input], training: training).outputs[0]
    }

    /// Every output for concrete inputs (an LSTM with `returnState` gives `[output, h, c]`).
    public func callAll(_ inputs: [Tensor], training: Bool = false) throws -> [Tensor] {
        try GradientMode.withoutGradients { try apply(inputs, training: training).outputs }
    }

    /// Every output for one concrete input (an LSTM with `returnState` gives `[output, h, c]`).
    public func callAll(_ input: Tensor, training: Bool = false) throws -> [Tensor] {
        try GradientMode.withoutGradients { try apply([input], training: training).outputs }
    }

    /// Every symbolic output for one symbolic input: `let outs = try lstm.callAll(x)` → `[output, h, c]`.
    public func callAll(_ input: SymbolicTensorConvertible) throws -> [SymbolicTensor] {
        try callAll([input])
    }

    /// Calls the layer on a symbolic tensor, returning its (first) symbolic output.
    public func callAsFunction(_ input: SymbolicTensorConvertible) throws -> SymbolicTensor {
        try callAll([input])[0]
    }

    /// Calls the layer on symbolic tensors, returning every symbolic output.
    public func callAll(_ inputs: [SymbolicTensorConvertible]) throws -> [SymbolicTensor] {
        let tensors = inputs.map(\.symbolicTensor)
        let shapes = tensors.map(\.shape)
        try ensureBuilt(shapes)
        let outShapes = try computeOutputShapes(shapes)
        let node = Node(layer: self, inputs: tensors, outputShapes: outShapes)
        weakInboundNodes.append(WeakNode(node: node))
        return node.makeOutputs()
    }

    /// Throws the standard shape message unless `given` matches `expected` (nil matches anything).
    func expect(_ given: [Int?], _ expected: [Int?], what: String = "input") throws {
        let ok = given.count == expected.count && zip(given, expected).allSatisfy { g, e in
            e == nil || g == nil || g == e
        }
        if !ok {
            throw LSTMKitError.shapeMismatch(
                "\(className) '\(name)' expects \(what) of shape \(formatShape(expected)), got \(formatShape(given))")
        }
    }

    /// Creates and registers a parameter, with its regularizer and constraint (Keras's `add_weight`).
    func addParameter(_ name: String, _ value: Tensor, regularizer: Regularizer? = nil, constraint: Constraint? = nil) -> Parameter {
        let p = Parameter(value, name: name, layerName: self.name)
        p.regularizer = regularizer
        p.constraint = constraint
        ownParameters.append(p)
        return p
    }

    /// Throws `invalidArgument` naming this layer, its parameter count and the limit when the weights whose
    /// shapes are given as factor lists (`[[d, 4, units], …]`, so that no product overflows before the
    /// check) would exceed `LSTMKit.maxLayerParameters`; called by `build` before anything is allocated.
    func checkParameterCount(_ weights: [[Int]]) throws {
        let limit = LSTMKit.maxLayerParameters
        var total: Int? = 0
        for factors in weights {
            guard let t = total, let n = LSTMKit.checkedProduct(factors) else { total = nil; break }
            let (sum, overflow) = t.addingReportingOverflow(n)
            total = overflow ? nil : sum
        }
        guard let count = total, count <= limit else {
            let shown = total.map(String.init) ?? "more than \(Int.max)"
            throw LSTMKitError.invalidArgument(
                "\(className) '\(name)' would have \(shown) parameters, above LSTMKit's limit of \(limit) per layer (physical memory / 16 bytes: weights, gradient and two optimizer slots in Float32); check its units and input features")
        }
    }

    /// Validates a weight's initializer, regularizer and constraint (`what` names the argument family, e.g.
    /// `kernel`) before the weight is created; throws naming the layer, the argument and the value given.
    func validateWeightOptions(_ what: String, shape: [Int], initializer: Initializer, regularizer: Regularizer?, constraint: Constraint?) throws {
        let label = "\(className) '\(name)'"
        try initializer.validate("\(label) \(what)Initializer", shape: shape)
        try regularizer?.validate("\(label) \(what)Regularizer")
        try constraint?.validate("\(label) \(what)Constraint", shape: shape)
    }
}

private struct WeakNode { weak var node: Node? }

/// Keras-style unique layer names: the first `lstm`, then `lstm_1`, `lstm_2`, …
public enum LayerNaming {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var counters: [String: Int] = [:]

    /// The next unused name for `prefix`.
    public static func uniqueName(_ prefix: String) -> String {
        lock.lock(); defer { lock.unlock() }
        let n = counters[prefix, default: 0]
        counters[prefix] = n + 1
        return n == 0 ? prefix : "\(prefix)_\(n)"
    }

    /// Restarts every counter (Keras's `clear_session()`), e.g. at the top of a notebook.
    public static func reset() {
        lock.lock(); defer { lock.unlock() }
        counters = [:]
    }
}

extension LSTMKit {
    /// Restarts layer and model name counters, like Keras's `keras.backend.clear_session()`.
    public static func clearSession() { LayerNaming.reset() }
}
