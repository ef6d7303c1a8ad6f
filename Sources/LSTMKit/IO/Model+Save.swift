import Foundation

extension Model {
    /// Saves the model as a directory holding `model.json` (architecture, graph, compile settings) and
    /// `model.safetensors` (every weight as F32, keyed `layer/weight`, readable by the Python
    /// `safetensors` package), plus the optimizer's state once it has stepped (`optimizer/…` keys, see
    /// `Optimizer+State.swift`). `Model.load(from:)` restores both exactly, so training resumes as if
    /// it had not stopped. The folder is replaced as a whole (`AtomicFolder`): a save killed at any moment
    /// leaves the previous model or the new one. Throws `LSTMKitError.io` when `url` is a file or a folder
    /// holding files other than those two.
    public func save(to url: URL) throws {
        let params = parameters
        guard !params.isEmpty || !layers.isEmpty else {
            throw LSTMKitError.invalidArgument("model '\(name)' has no layers to save")
        }
        var keys: [String] = []
        var tensors: [String: Tensor] = [:]
        for p in params {
            var key = p.path
            var k = 1
            while tensors[key] != nil { key = "\(p.path)_\(k)"; k += 1 }  // wrapped layers may share a path
            keys.append(key)
            tensors[key] = p.value
        }
        var metadata = ["format": "lstmkit", "model": name]
        if let c = compiled {
            let state = try c.optimizer.savedState(for: Self.keyed(trainableParameters, parameters: params, keys: keys))
            tensors.merge(state.tensors) { weight, _ in weight }
            metadata.merge(state.metadata) { kept, _ in kept }
        }
        var saved = SavedModel(format: SavedModel.formatName, version: SavedModel.currentVersion, className: className,
                               name: name, inputShape: nil, layers: layers.map(\.config), nodes: nil, inputs: nil,
                               outputs: nil, weights: keys, compile: nil)
        if self is Sequential {
            saved.inputShape = inputs.first.map { Array($0.shape.dropFirst()) }
        } else {
            let (graphNodes, refs) = savedGraph()
            saved.nodes = graphNodes
            saved.inputs = inputs.map { refs[ObjectIdentifier($0.node)].map { SavedReference(layer: $0.layer, call: $0.call, output: 0) }! }
            saved.outputs = outputs.map { o in
                let r = refs[ObjectIdentifier(o.node)]!
                return SavedReference(layer: r.layer, call: r.call, output: o.index)
            }
        }
        if let c = compiled {
            saved.compile = SavedCompile(optimizer: c.optimizer.className, optimizerConfig: c.optimizer.config,
                                         loss: c.loss.rawValue, metrics: c.metrics.map(\.name))
            switch c.metricSpec {
            case .list: break
            case .perOutput(let lists): saved.compile?.metricsPerOutput = lists.map { $0.map(\.name) }
            case .byName(let dict): saved.compile?.metricsByOutput = dict.mapValues { $0.map(\.name) }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json: Data
        do { json = try encoder.encode(saved) } catch {
            throw LSTMKitError.io("could not encode model '\(name)': \(error.localizedDescription)")
        }
        let weights = try SafeTensors.encode(tensors, metadata: metadata)
        // Both files replace the folder in one step (see AtomicFolder): a save killed at any moment leaves
        // the previous model or this one, never a mix.
        try AtomicFolder.replace(url, with: [("model.json", json), ("model.safetensors", weights)])
    }

    /// `trainable` paired with the safetensors key of each (its position in `parameters` picks the key).
    private static func keyed(_ trainable: [Parameter], parameters: [Parameter], keys: [String]) -> [(parameter: Parameter, key: String)] {
        var keyOf: [ObjectIdentifier: String] = [:]
        for (p, key) in zip(parameters, keys) where keyOf[ObjectIdentifier(p)] == nil { keyOf[ObjectIdentifier(p)] = key }
        return trainable.compactMap { p in keyOf[ObjectIdentifier(p)].map { (p, $0) } }
    }

    /// Layer calls in execution order, and for each node its (layer, call index) reference.
    private func savedGraph() -> ([SavedNode], [ObjectIdentifier: SavedReference]) {
        var calls: [String: Int] = [:]
        var refs: [ObjectIdentifier: SavedReference] = [:]
        var out: [SavedNode] = []
        for node in nodes {
            let call = calls[node.layer.name, default: 0]
            calls[node.layer.name] = call + 1
            refs[ObjectIdentifier(node)] = SavedReference(layer: node.layer.name, call: call, output: 0)
            let ins = node.inputs.map { t -> SavedReference in
                let r = refs[ObjectIdentifier(t.node)]!
                return SavedReference(layer: r.layer, call: r.call, output: t.index)
            }
            out.append(SavedNode(layer: node.layer.name, inputs: ins))
        }
        return (out, refs)
    }

    /// Loads a model saved with `save(to:)`: same architecture, layer names and weights (bit for bit),
    /// compiled again with the saved settings, the optimizer carrying its saved state (fresh if the
    /// model was saved before any update). Throws when that state does not fit the architecture.
    public static func load(from given: URL) throws -> Model {
        // A save stopped between its two renames (only where the folder swap is unavailable) left the
        // previous model beside the path; temporary siblings of a killed save are ignored.
        let url = AtomicFolder.resolve(given)
        // Both files from the same folder, even if another process swaps in a new save meanwhile.
        let files: [Data]
        do { files = try AtomicFolder.read(["model.json", "model.safetensors"], in: url) } catch let e as LSTMKitError {
            throw LSTMKitError.io("\(e.message): expected an LSTMKit model directory written by model.save(to:)")
        }
        let saved: SavedModel
        do {
            saved = try JSONDecoder().decode(SavedModel.self, from: files[0])
        } catch let e as LSTMKitError {
            throw e
        } catch {
            throw LSTMKitError.io("could not read \(url.appendingPathComponent("model.json").path): expected an LSTMKit model directory written by model.save(to:) (\(error.localizedDescription))")
        }
        guard saved.format == SavedModel.formatName, saved.version <= SavedModel.currentVersion else {
            throw LSTMKitError.io("\(url.path) holds format '\(saved.format)' version \(saved.version); expected '\(SavedModel.formatName)' version ≤ \(SavedModel.currentVersion)")
        }
        let layers = try saved.layers.map { try LayerRegistry.makeLayer($0) }
        let model: Model
        if saved.className == "Sequential" {
            let s = try Sequential(layers.filter { !($0 is Input) }, name: saved.name)
            if let shape = saved.inputShape, s.inputs.isEmpty { try s.build(inputShape: shape) }
            model = s
        } else {
            model = try rebuildGraph(saved, layers: layers)
        }
        let (tensors, metadata) = try SafeTensors.decode(files[1])
        let params = model.parameters
        guard params.count == saved.weights.count else {
            throw LSTMKitError.io("\(url.path): the architecture has \(params.count) weight arrays, the file lists \(saved.weights.count)")
        }
        for (p, key) in zip(params, saved.weights) {
            guard let t = tensors[key] else {
                throw LSTMKitError.io("\(url.path): weight '\(key)' is missing from model.safetensors")
            }
            guard t.shape == p.shape else {
                throw LSTMKitError.shapeMismatch("\(url.path): weight '\(key)' expects shape \(formatShape(p.shape)), got \(formatShape(t.shape))")
            }
            p.value = t
        }
        if let c = saved.compile {
            let optimizer = try Optimizer.make(className: c.optimizer, config: c.optimizerConfig)
            // A layer named "optimizer" must not pass its weights off as optimizer state.
            let weightKeys = Set(saved.weights)
            let nonWeights = tensors.filter { !weightKeys.contains($0.key) }
            try optimizer.restoreState(for: keyed(model.trainableParameters, parameters: params, keys: saved.weights),
                                       tensors: nonWeights, metadata: metadata, source: url.path)
            let loss = try Loss(name: c.loss)
            if let lists = c.metricsPerOutput {
                model.compile(optimizer: optimizer, loss: loss, metrics: try lists.map { try $0.map { try Metric(name: $0) } })
            } else if let dict = c.metricsByOutput {
                model.compile(optimizer: optimizer, loss: loss, metrics: try dict.mapValues { try $0.map { try Metric(name: $0) } })
            } else {
                model.compile(optimizer: optimizer, loss: loss, metrics: try c.metrics.map { try Metric(name: $0) })
            }
        } else if let stray = tensors.keys.sorted().first(where: { $0.hasPrefix(Optimizer.stateKeyPrefix) && !saved.weights.contains($0) }) {
            throw LSTMKitError.io("\(url.path): model.json has no compile settings, so expected no optimizer state, given '\(stray)'")
        }
        return model
    }

    private static func rebuildGraph(_ saved: SavedModel, layers: [Layer]) throws -> Model {
        var byName: [String: Layer] = [:]
        for l in layers { byName[l.name] = l }
        var produced: [String: [[SymbolicTensor]]] = [:]  // layer name → outputs per call
        func resolve(_ r: SavedReference) throws -> SymbolicTensor {
            guard let calls = produced[r.layer], calls.indices.contains(r.call), calls[r.call].indices.contains(r.output) else {
                throw LSTMKitError.io("saved graph refers to output \(r.output) of call \(r.call) of layer '\(r.layer)', which does not exist")
            }
            return calls[r.call][r.output]
        }
        for node in saved.nodes ?? [] {
            guard let layer = byName[node.layer] else {
                throw LSTMKitError.io("saved graph calls layer '\(node.layer)', which is not among the saved layers")
            }
            if let input = layer as? Input {
                produced[node.layer, default: []].append([input.symbolicTensor])
            } else {
                produced[node.layer, default: []].append(try layer.callAll(try node.inputs.map(resolve)))
            }
        }
        return try Model(inputs: try (saved.inputs ?? []).map(resolve), outputs: try (saved.outputs ?? []).map(resolve),
                         name: saved.name)
    }
}
