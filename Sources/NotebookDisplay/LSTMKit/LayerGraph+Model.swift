import LSTMKit

extension LayerGraph {
    /// The graph of an LSTMKit model: one node per layer call (Input layers included, as Keras's
    /// plot_model draws them), edges from the model's symbolic connections. A nested model's call
    /// (`decoder(encoder(x))`) is one node named after the model, class `Functional` or `Sequential`.
    /// - Throws: `LSTMKitError` when the model has no graph yet (a `Sequential` without an input shape).
    public init(_ model: Model) throws {
        guard !model.nodes.isEmpty else {
            throw DisplayError.invalidArgument(
                "model '\(model.name)' has no layer graph yet: give its first layer an inputShape, add an Input, or call it once on data")
        }
        let walk = ModelSteps(model)
        let nodes = walk.steps.map { step -> LayerGraph.Node in
            let inbound = step.inputs.compactMap { walk.producer(of: $0).map { (node: $0.step, output: $0.output) } }
            switch step {
            case .layer(let node):
                let layer = node.layer
                return LayerGraph.Node(name: layer.name, className: displayClassName(layer),
                                       inputShapes: layer is Input ? node.outputShapes : node.inputs.map(\.shape),
                                       outputShapes: node.outputShapes, parameterCount: layer.countParams(),
                                       detail: layerDetail(layer), inbound: inbound)
            case .call(let call):
                // A nested model is one box, like Keras's plot_model without expand_nested.
                let count = call.model.layers.filter { !($0 is Input) }.count
                return LayerGraph.Node(name: call.model.name, className: call.model.className,
                                       inputShapes: call.inputs.map(\.shape), outputShapes: call.outputShapes,
                                       parameterCount: call.model.countParams(),
                                       detail: count == 1 ? "1 layer" : "\(count) layers", inbound: inbound)
            }
        }
        try self.init(name: model.name, nodes: nodes)
    }
}

/// Draws a model's layer graph like Keras's `plot_model`: boxes with name and type, settings and (with
/// `showShapes`) input → output shapes; branches for functional models. No Graphviz needed.
/// - Parameters:
///   - highlight: layer names to emphasise (e.g. the encoder's bottleneck `"lstm_1"`).
/// - Throws: when the model has no graph yet (see `LayerGraph.init(_:)`).
public func plotModel(_ model: Model, showShapes: Bool = true, showParameters: Bool = false,
                      highlight: Set<String> = []) throws -> ModelDiagram {
    ModelDiagram(try LayerGraph(model), showShapes: showShapes, showParameters: showParameters, highlighted: highlight)
}

extension Model {
    /// This model's diagram (see `plotModel(_:showShapes:showParameters:highlight:)`).
    public func plot(showShapes: Bool = true, showParameters: Bool = false, highlight: Set<String> = []) throws -> ModelDiagram {
        try plotModel(self, showShapes: showShapes, showParameters: showParameters, highlight: highlight)
    }
}

/// `TimeDistributed(Dense)` rather than `TimeDistributed`, so the box says what is distributed.
func displayClassName(_ layer: Layer) -> String {
    if let wrapper = layer as? TimeDistributed { return "TimeDistributed(\(wrapper.layer.className))" }
    if let wrapper = layer as? Bidirectional { return "Bidirectional(\(wrapper.forwardLayer.className))" }
    return layer.className
}

/// The settings a reader of the tutorials looks for, in Keras's argument names.
func layerDetail(_ layer: Layer) -> String? {
    switch layer {
    case let lstm as LSTM:
        var parts = [unitsText(lstm.units)]
        if lstm.activation != .tanh { parts.append(lstm.activation.rawValue) }
        parts += recurrentFlags(lstm)
        return parts.joined(separator: ", ")
    case let rnn as Recurrent:
        return ([unitsText(rnn.units)] + recurrentFlags(rnn)).joined(separator: ", ")
    case let dense as Dense:
        return dense.activation == .linear ? unitsText(dense.units) : "\(unitsText(dense.units)), \(dense.activation.rawValue)"
    case let repeatVector as RepeatVector:
        return "n = \(repeatVector.n)"
    case let wrapper as TimeDistributed:
        return layerDetail(wrapper.layer)
    case let wrapper as Bidirectional:
        return [layerDetail(wrapper.forwardLayer), "merge \(wrapper.mergeMode?.rawValue ?? "none")"].compactMap { $0 }.joined(separator: ", ")
    default:
        return nil
    }
}

private func unitsText(_ units: Int) -> String { units == 1 ? "1 unit" : "\(units) units" }

private func recurrentFlags(_ rnn: Recurrent) -> [String] {
    var flags: [String] = []
    if rnn.returnSequences { flags.append("return_sequences") }
    if rnn.returnState { flags.append("return_state") }
    if rnn.goBackwards { flags.append("go_backwards") }
    if rnn.stateful { flags.append("stateful") }
    return flags
}
