import Foundation
import LSTMKit

/// What happens to one sample inside a model, layer by layer: input and output shapes (without the batch
/// axis) and the first few output values, plus the data-flow figure with the encoded vector marked.
///
/// ```swift
/// let trace = try traceShapes(autoencoder, x[0])   // or autoencoder.traceShapes(x[0])
/// display(trace)          // table + figure: 3x2 → 3x128 → 64 → 3x64 → 3x64 → 3x128 → 3x2
/// ```
public struct ShapeTrace: NotebookDisplayable {
    /// One layer call.
    public struct Step: Sendable, Equatable {
        /// Layer name.
        public var layerName: String
        /// Layer class, `TimeDistributed(Dense)` for wrappers.
        public var className: String
        /// Per-sample input shapes (an RNN's initial states follow its input).
        public var inputShapes: [[Int]]
        /// Per-sample output shapes (an LSTM with returnState has three).
        public var outputShapes: [[Int]]
        /// The first values of the first output.
        public var firstValues: [Float]
        /// Whether this output is the model's encoded vector (bottleneck).
        public var isEncoding: Bool
    }

    /// The traced model's name.
    public var modelName: String
    /// Steps in execution order, Input layers first.
    public var steps: [Step]

    /// The data-flow figure: every layer's first output, the encoded vector marked.
    public var dataFlow: DataFlowDiagram {
        DataFlowDiagram(stages: steps.map { step in
            DataFlowDiagram.Stage(layerName: step.layerName, className: step.className, shape: step.outputShapes.first ?? [],
                                  note: step.isEncoding ? "encoded vector" : nil)
        }, title: "Data flow of one sample through \"\(modelName)\"")
    }

    /// The aligned text table.
    public var text: String {
        let header = ["layer (type)", "input", "output", "first values"]
        let rows = steps.map { step -> [String] in
            [step.layerName + " (" + step.className + ")",
             step.className == "InputLayer" ? "-" : step.inputShapes.map { dimensionText($0, separator: "x") }.joined(separator: ", "),
             step.outputShapes.map { dimensionText($0, separator: "x") }.joined(separator: ", "),
             valuesText(step.firstValues) + (step.isEncoding ? "   ← encoded vector" : "")]
        }
        var widths = header.map(\.count)
        for row in rows { for k in 0..<3 { widths[k] = max(widths[k], row[k].count) } }
        let lines = ([header] + rows).map { row in
            (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + row[3]
        }
        return (["Shape trace of \"\(modelName)\" for one sample: \(dataFlow.flowText)"] + lines).joined(separator: "\n")
    }

    /// The figure (the SVG as an `<img>` with alt text) above an HTML table of the steps.
    public var html: String {
        let td = "style=\"text-align:left;padding:3px 10px;border-bottom:1px solid #ddd;font-family:monospace\""
        let th = "style=\"text-align:left;padding:4px 10px;border-bottom:2px solid #444\""
        var h = "<div class=\"lstmkit-trace\">\n"
        // The figure as an <img>, not inline <svg>: sanitisers (JupyterLab for untrusted notebooks,
        // GitHub) drop <svg> but keep its text, which ran together into one paragraph above the table.
        h += MIMEBundle.svgImageTag(dataFlow.svg, alt: "\(dataFlow.title): \(dataFlow.flowText)") + "\n"
        h += "<table style=\"border-collapse:collapse;margin-top:8px\">\n<thead><tr><th \(th)>Layer (type)</th><th \(th)>Input</th><th \(th)>Output</th><th \(th)>First values</th></tr></thead>\n<tbody>\n"
        for step in steps {
            let mark = step.isEncoding ? " style=\"background:#fde3d0\"" : ""
            h += "<tr\(mark)><td \(td)>\(xmlEscape(step.layerName)) (\(xmlEscape(step.className)))</td>"
            h += "<td \(td)>\(step.className == "InputLayer" ? "-" : step.inputShapes.map { dimensionText($0, separator: "×") }.joined(separator: ", "))</td>"
            h += "<td \(td)>\(step.outputShapes.map { dimensionText($0, separator: "×") }.joined(separator: ", "))\(step.isEncoding ? " <b>encoded vector</b>" : "")</td>"
            h += "<td \(td)>\(xmlEscape(valuesText(step.firstValues)))</td></tr>\n"
        }
        return h + "</tbody>\n</table>\n</div>"
    }

    /// text/plain (the table), text/html (figure + table) and image/svg+xml (the figure alone, for
    /// front ends that prefer images).
    public var mimeBundle: MIMEBundle { MIMEBundle(plainText: text, html: html, svg: dataFlow.svg) }

    private func valuesText(_ values: [Float]) -> String {
        values.map { String(format: "%.4g", Double($0)) }.joined(separator: " ") + (values.isEmpty ? "" : " …")
    }
}

/// Runs one sample through `model` layer by layer and records each layer's shapes and first values.
/// - Parameters:
///   - sample: one sample without the batch axis (e.g. shape (3, 2)), or a batch whose first sample is used.
///   - highlight: the layer whose output to mark as the encoded vector; by default the intermediate
///     output with fewer axes than both the model's input and output (the autoencoder's bottleneck).
/// - Throws: when the sample's shape does not fit the model's input, or a layer rejects it.
public func traceShapes(_ model: Model, _ sample: Tensor, highlight: String? = nil) throws -> ShapeTrace {
    try traceShapes(model, samples: [sample], highlight: highlight)
}

/// `traceShapes` for a model with several inputs: one sample per input.
public func traceShapes(_ model: Model, samples: [Tensor], highlight: String? = nil, valueCount: Int = 4) throws -> ShapeTrace {
    if model.nodes.isEmpty {
        // A Sequential without an input shape builds its graph on the first call.
        _ = try model.callAll(try samples.map { try $0.reshaped([1] + $0.shape) })
    }
    guard samples.count == model.inputs.count else {
        throw DisplayError.invalidArgument("traceShapes: model '\(model.name)' expects \(model.inputs.count) input sample(s), got \(samples.count)")
    }
    let batch = try zip(samples, model.inputs).map { sample, input -> Tensor in
        if sample.rank == input.shape.count - 1 { return try sample.reshaped([1] + sample.shape) }
        if sample.rank == input.shape.count, sample.shape.first ?? 0 >= 1 { return try sample[0..<1] }
        throw DisplayError.invalidArgument(
            "traceShapes: expected one sample of shape \(kerasShapeText(Array(input.shape.dropFirst()))) or a batch \(kerasShapeText(input.shape)), got \(shapeText(sample.shape))")
    }
    var values: [ObjectIdentifier: [Tensor]] = [:]
    var masks: [ObjectIdentifier: [Tensor?]] = [:]
    for node in model.nodes {
        let id = ObjectIdentifier(node)
        if node.layer is Input {
            guard let position = model.inputs.firstIndex(where: { $0.node === node }) else { continue }
            values[id] = [batch[position]]
        } else {
            let inputs = node.inputs.map { values[ObjectIdentifier($0.node)]![$0.index] }
            let inMasks = node.inputs.map { masks[ObjectIdentifier($0.node)]?[$0.index] ?? nil }
            let result = try node.layer.apply(inputs, masks: inMasks, training: false)
            values[id] = result.outputs
            masks[id] = result.masks
        }
    }
    // One step per layer call; a nested model's call (`decoder(encoder(x))`) is one step, as in summary().
    var steps: [ShapeTrace.Step] = []
    for step in ModelSteps(model).steps {
        let name: String, className: String, inputs: [Tensor], outputs: [Tensor]
        switch step {
        case .layer(let node):
            guard let out = values[ObjectIdentifier(node)] else { continue }
            name = node.layer.name
            className = displayClassName(node.layer)
            inputs = node.layer is Input ? out : node.inputs.map { values[ObjectIdentifier($0.node)]![$0.index] }
            outputs = out
        case .call(let call):
            name = call.model.name
            className = call.model.className
            inputs = call.inputs.map { values[ObjectIdentifier($0.node)]![$0.index] }
            outputs = call.outputKeys.map { values[$0.node]![$0.index] }
        }
        steps.append(ShapeTrace.Step(layerName: name, className: className,
                                     inputShapes: inputs.map { Array($0.shape.dropFirst()) },
                                     outputShapes: outputs.map { Array($0.shape.dropFirst()) },
                                     firstValues: Array(outputs.first?.scalars.prefix(valueCount) ?? []), isEncoding: false))
    }
    if let highlight {
        guard let i = steps.firstIndex(where: { $0.layerName == highlight }) else {
            throw DisplayError.invalidArgument("traceShapes: no layer named '\(highlight)' in model '\(model.name)'; layers: \(steps.map(\.layerName).joined(separator: ", "))")
        }
        steps[i].isEncoding = true
    } else {
        let outputNames = Set(model.outputs.map { $0.node.modelCall?.model.name ?? $0.layer.name })
        let inputRank = model.inputs.map { $0.shape.count - 1 }.min() ?? 0
        let outputRank = model.outputs.map { $0.shape.count - 1 }.min() ?? 0
        let candidates = steps.indices.filter { i in
            let s = steps[i]
            return s.className != "InputLayer" && !outputNames.contains(s.layerName)
                && (s.outputShapes.first?.count ?? 0) < min(inputRank, outputRank)
        }
        if let smallest = candidates.min(by: { steps[$0].outputShapes[0].reduce(1, *) < steps[$1].outputShapes[0].reduce(1, *) }) {
            steps[smallest].isEncoding = true
        }
    }
    return ShapeTrace(modelName: model.name, steps: steps)
}

extension Model {
    /// Runs one sample through the model layer by layer (see `traceShapes(_:_:highlight:)`).
    public func traceShapes(_ sample: Tensor, highlight: String? = nil) throws -> ShapeTrace {
        try NotebookDisplay.traceShapes(self, sample, highlight: highlight)
    }
}
