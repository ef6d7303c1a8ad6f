extension Model {
    /// The data of Keras's summary table for this model (rows, totals, optimizer state).
    ///
    /// `Sequential` lists its layers; a functional model lists every layer including its `InputLayer`s
    /// and, when the graph is not a simple chain, the "Connected to" column. A model called inside this
    /// one (`decoder(encoder(x))`) is one row, `functional (Functional)` with its output shape and
    /// parameter count, as Keras 3 shows it.
    public func summaryTable() -> ModelSummary {
        let members = summaryMembers()
        let chain = isSequentialLike(members)
        let rows = members.map { member -> ModelSummary.Row in
            switch member {
            case .layer(let layer, let calls):
                let connections = chain ? [] : calls.flatMap { $0.inputs.map(Model.connectionName) }
                return ModelSummary.Row(name: layer.name, className: layer.className,
                                        outputShape: Model.summaryShape(layer), params: layer.countParams(),
                                        connectedTo: connections, isBuilt: layer.isBuilt)
            case .model(let model, let calls):
                let connections = chain ? [] : calls.flatMap { $0.inputs.map(Model.connectionName) }
                return ModelSummary.Row(name: model.name, className: model.className,
                                        outputShape: calls.last?.outputShapeText ?? "?", params: model.countParams(),
                                        connectedTo: connections)
            }
        }
        let params = parameters
        let optimizerState = compiled.flatMap { $0.optimizer.isBuilt ? $0.optimizer.variableCount : nil }
        return ModelSummary(modelName: name, rows: rows, showsConnections: !chain,
                            trainableParams: params.filter(\.trainable).reduce(0) { $0 + $1.count },
                            nonTrainableParams: params.filter { !$0.trainable }.reduce(0) { $0 + $1.count },
                            optimizerParams: optimizerState)
    }

    /// The summary exactly as Keras 3 prints it (76 columns by default, as in Jupyter).
    public func summaryText(lineLength: Int = 76) -> String { summaryTable().text(lineLength: lineLength) }

    /// Prints the Keras-style summary table (Keras's `model.summary()`).
    public func summary(lineLength: Int = 76) {
        print(summaryText(lineLength: lineLength), terminator: "")
    }

    /// What one summary row stands for: a layer with its calls in this graph, or a nested model with its calls.
    enum SummaryMember {
        case layer(Layer, [(inputs: [SymbolicTensor], node: Node)])
        case model(Model, [ModelCall])
    }

    /// The rows' subjects in execution order, each once; nodes inlined from a nested model's call are
    /// folded into that model. `Sequential` does not list its input layer.
    func summaryMembers() -> [SummaryMember] {
        if nodes.isEmpty { return layers.map { .layer($0, []) } }  // a Sequential not built yet
        var order = [ObjectIdentifier](), layerCalls = [ObjectIdentifier: (Layer, [(inputs: [SymbolicTensor], node: Node)])]()
        var modelCalls = [ObjectIdentifier: (Model, [ModelCall])]()
        for node in nodes {
            if let call = node.modelCall {
                let id = ObjectIdentifier(call.model)
                if modelCalls[id] == nil { order.append(id); modelCalls[id] = (call.model, []) }
                if !modelCalls[id]!.1.contains(where: { $0 === call }) { modelCalls[id]!.1.append(call) }
            } else {
                if self is Sequential, node.layer is Input { continue }
                let id = ObjectIdentifier(node.layer)
                if layerCalls[id] == nil { order.append(id); layerCalls[id] = (node.layer, []) }
                layerCalls[id]!.1.append((node.inputs, node))
            }
        }
        return order.map { id in
            if let (model, calls) = modelCalls[id] { return .model(model, calls) }
            let (layer, calls) = layerCalls[id]!
            return .layer(layer, calls)
        }
    }

    /// `lstm[0][1]`: the producing layer (or nested model), its call index and the output index, as
    /// Keras's "Connected to" column names an input.
    static func connectionName(_ t: SymbolicTensor) -> String {
        if let call = t.node.modelCall, let position = call.outputPosition(of: t) {
            return "\(call.model.name)[\(call.index)][\(position)]"
        }
        let producer = t.layer
        let nodeIndex = producer.inboundNodes.firstIndex { $0 === t.node } ?? 0
        return "\(producer.name)[\(nodeIndex)][\(t.index)]"
    }

    /// Keras prints the "Connected to" column unless the graph is one chain of single-input calls
    /// (a nested model's call counts as one call).
    var isSequentialLike: Bool { isSequentialLike(summaryMembers()) }

    private func isSequentialLike(_ members: [SummaryMember]) -> Bool {
        if self is Sequential { return true }
        guard inputs.count == 1 else { return false }
        // Each member is called once, on one tensor, which the previous member produced.
        var previous: (SymbolicTensor) -> Bool = { _ in false }
        for member in members {
            switch member {
            case .layer(let layer, let calls):
                guard calls.count == 1 else { return false }  // shared layer
                let node = calls[0].node
                if layer is Input { previous = { $0.node === node }; continue }
                guard node.inputs.count == 1, previous(node.inputs[0]) else { return false }
                previous = { $0.node === node }
            case .model(_, let calls):
                guard calls.count == 1, calls[0].inputs.count == 1, previous(calls[0].inputs[0]) else { return false }
                let call = calls[0]
                previous = { call.outputPosition(of: $0) != nil }
            }
        }
        return true
    }

    /// `(None, 3, 128)`, or `[(None, 4), (None, 4), (None, 4)]` for a layer with several outputs;
    /// `?` before the layer is built.
    static func summaryShape(_ layer: Layer) -> String {
        let shapes = layer.outputShapes
        if shapes.isEmpty { return "?" }
        if shapes.count == 1 { return formatShape(shapes[0]) }
        return "[" + shapes.map { formatShape($0) }.joined(separator: ", ") + "]"
    }
}
