import LSTMKit

extension UnrolledRNNDiagram {
    /// The diagram of an actual recurrent layer, drawn from its settings (units, returnSequences,
    /// returnState, goBackwards) and, when built, its input's time steps and features.
    /// - Parameter timesteps: steps to draw; required when the layer's input length is unknown
    ///   (not built yet, or built for variable-length input).
    /// - Throws: `DisplayError.invalidArgument` when the number of time steps is unknown.
    public init(_ layer: Recurrent, timesteps: Int? = nil) throws {
        let input = layer.builtInputShapes.first ?? layer.declaredInputShape.map { [nil] + $0 }
        let knownSteps = input.flatMap { $0.count >= 3 ? $0[1] : nil }
        guard let steps = timesteps ?? knownSteps else {
            throw DisplayError.invalidArgument(
                "\(layer.className) '\(layer.name)': the number of time steps is unknown (input shape \(input.map(kerasShapeText) ?? "not built")); pass timesteps:")
        }
        let cellType = layer is LSTM ? "LSTM" : layer.className
        try self.init(cellType: cellType, layerName: layer.name, units: layer.units, timesteps: steps,
                      inputFeatures: input.flatMap { $0.last ?? nil }, returnSequences: layer.returnSequences,
                      returnState: layer.returnState, goBackwards: layer.goBackwards)
    }
}

extension Layer {
    /// This layer unrolled over time, showing which steps emit outputs (see `UnrolledRNNDiagram`); works
    /// on `model.layers[i]` without a cast.
    /// - Throws: `DisplayError.invalidArgument` unless the layer is recurrent (LSTM, GRU, SimpleRNN, or
    ///   Bidirectional around one), or when the number of time steps is unknown.
    public func unrolledDiagram(timesteps: Int? = nil) throws -> UnrolledRNNDiagram {
        try NotebookDisplay.unrolledDiagram(self, timesteps: timesteps)
    }
}

/// Any layer of a model unrolled over time, e.g. `try unrolledDiagram(model.layers[1])`.
/// - Throws: `DisplayError.invalidArgument` unless the layer is recurrent (LSTM, GRU, SimpleRNN, or
///   Bidirectional around one), or when the number of time steps is unknown.
public func unrolledDiagram(_ layer: Layer, timesteps: Int? = nil) throws -> UnrolledRNNDiagram {
    if let rnn = layer as? Recurrent { return try UnrolledRNNDiagram(rnn, timesteps: timesteps) }
    if let wrapper = layer as? Bidirectional {
        // The wrapper's input shape is the inner layers' (they are built with it).
        let input = wrapper.builtInputShapes.first ?? wrapper.declaredInputShape.map { [nil] + $0 }
        var diagram = try UnrolledRNNDiagram(wrapper.forwardLayer,
                                             timesteps: timesteps ?? input.flatMap { $0.count >= 3 ? $0[1] : nil })
        diagram.layerName = wrapper.name
        diagram.goBackwards = false
        diagram.bidirectionalMerge = wrapper.mergeMode?.rawValue ?? "None"
        return diagram
    }
    throw DisplayError.invalidArgument(
        "unrolledDiagram: expected a recurrent layer (LSTM, GRU, SimpleRNN, Bidirectional), got \(layer.className) '\(layer.name)'")
}
