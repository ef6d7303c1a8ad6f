extension Model {
    /// The data of Keras's summary table for this model (rows, totals, optimizer state).
    ///
    /// `Sequential` lists its layers; a functional model lists every layer including its `InputLayer`s
    /// and, when the graph is not a simple chain, the "Connected to" column.
    public func summaryTable() -> ModelSummary {
        let chain = isSequentialLike
        let modelNodes = Set(nodes.map(ObjectIdentifier.init))
        let rows = layers.map { layer -> ModelSummary.Row in
            var connections: [String] = []
            if !chain {
                for node in layer.inboundNodes where modelNodes.contains(ObjectIdentifier(node)) {
                    for t in node.inputs {
                        let producer = t.layer
                        let nodeIndex = producer.inboundNodes.firstIndex { $0 === t.node } ?? 0
                        connections.append("\(producer.name)[\(nodeIndex)][\(t.index)]")
                    }
                }
            }
            return ModelSummary.Row(name: layer.name, className: layer.className,
                                    outputShape: Model.summaryShape(layer), params: layer.countParams(),
                                    connectedTo: connections, isBuilt: layer.isBuilt)
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

    /// Keras prints the "Connected to" column unless the graph is one chain of single-input calls.
    var isSequentialLike: Bool {
        if self is Sequential { return true }
        guard inputs.count == 1 else { return false }
        var seen = Set<ObjectIdentifier>()
        var previous: Node?
        for node in nodes {
            guard seen.insert(ObjectIdentifier(node.layer)).inserted else { return false }  // shared layer
            if node.layer is Input { previous = node; continue }
            guard node.inputs.count == 1, let p = previous, node.inputs[0].node === p else { return false }
            previous = node
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
