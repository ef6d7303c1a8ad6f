/// A linear stack of layers, each feeding the next (Keras's `Sequential`).
///
/// ```swift
/// let model = try Sequential([
///     LSTM(units: 5, inputShape: [5, 1]),
///     Dense(units: 1),
/// ])
/// ```
/// The input shape comes from an `Input(shape:)` at the front of the list or from the first layer's
/// `inputShape:`; without either the model is built on its first call. Every layer must have one
/// output (an RNN with `returnState` belongs in a functional `Model`).
public final class Sequential: Model {
    private var stack: [Layer] = []

    /// The last layer's name: Keras's output name, also before the graph is built.
    public override var outputNames: [String] { outputs.isEmpty ? stack.last.map { [$0.name] } ?? [] : super.outputNames }
    private var inputLayer: Input?
    /// True while `init` adds its layers: Keras builds a Sequential once after adding them all.
    private var addingInitialLayers = false

    /// A model of `layers` in order; an `Input` may come first. Throws on incompatible shapes.
    public init(_ layers: [Layer] = [], name: String? = nil) throws {
        super.init(deferredName: name ?? LayerNaming.uniqueName("sequential"))
        addingInitialLayers = true
        defer { addingInitialLayers = false }
        for l in layers { try add(l) }
        if !outputs.isEmpty { Sequential.consumeFunctionalName() }
    }

    /// Keras builds a Sequential as an inner, automatically named `Functional` (constructor, each later
    /// `add`/`pop`, the first call), which takes a `functional…` name: after two built Sequentials the next
    /// functional model is `functional_2`, as Keras names it. The name itself is not used.
    private static func consumeFunctionalName() { _ = LayerNaming.uniqueName("functional") }

    public override var className: String { "Sequential" }

    /// The stacked layers (without the input layer), as Keras lists them.
    public override var layers: [Layer] { stack }

    /// Appends a layer, connecting it to the current output when the input shape is known.
    public func add(_ layer: Layer) throws {
        if let input = layer as? Input {
            guard stack.isEmpty, inputLayer == nil else {
                throw LSTMKitError.invalidArgument("Sequential '\(name)': an Input can only come first, got Input '\(input.name)' after \(stack.count) layer(s)")
            }
            inputLayer = input
            return
        }
        if inputLayer == nil, stack.isEmpty, let s = layer.declaredInputShape {
            inputLayer = Input(shape: s)
        }
        stack.append(layer)
        if !outputs.isEmpty || (inputLayer != nil) {
            do { try rebuild() } catch { stack.removeLast(); throw error }
        }
    }

    /// Removes the last layer.
    public func pop() throws {
        guard !stack.isEmpty else { throw LSTMKitError.invalidArgument("Sequential '\(name)' has no layers to pop") }
        stack.removeLast()
        if inputLayer != nil { try rebuild() }
    }

    private func rebuild() throws {
        guard let inputLayer else { return }
        guard !stack.isEmpty else { inputs = []; outputs = []; nodes = []; return }
        var x: SymbolicTensor = inputLayer.symbolicTensor
        for l in stack {
            let outs = try l.callAll([x])
            guard outs.count == 1 else {
                throw LSTMKitError.invalidArgument("Sequential '\(name)': every layer must have one output, but \(l.className) '\(l.name)' has \(outs.count) (use a functional Model for returnState)")
            }
            x = outs[0]
        }
        try setGraph(inputs: [inputLayer.symbolicTensor], outputs: [x])
        if !addingInitialLayers { Sequential.consumeFunctionalName() }
    }

    override func prepareGraph(for xs: [Tensor]) throws {
        guard inputLayer == nil else { return }
        guard !stack.isEmpty else { throw LSTMKitError.graph("Sequential '\(name)' has no layers") }
        guard let x = xs.first, x.rank >= 1 else { return }
        inputLayer = Input(shape: x.shape.dropFirst().map { $0 })
        do { try rebuild() } catch { inputLayer = nil; throw error }
    }

    override func prepareGraph(forSymbolic xs: [SymbolicTensor]) throws {
        guard inputLayer == nil else { return }
        guard !stack.isEmpty else { throw LSTMKitError.graph("Sequential '\(name)' has no layers") }
        guard let x = xs.first, x.shape.count >= 1 else { return }
        inputLayer = Input(shape: Array(x.shape.dropFirst()))
        do { try rebuild() } catch { inputLayer = nil; throw error }
    }

    /// Builds the model for per-sample `inputShape` (like Keras's `model.build((None, …))`).
    public func build(inputShape: [Int?]) throws {
        guard inputLayer == nil else { return }
        inputLayer = Input(shape: inputShape)
        do { try rebuild() } catch { inputLayer = nil; throw error }
    }
}
