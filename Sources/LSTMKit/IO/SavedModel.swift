import Foundation

/// The architecture file `model.json` inside a saved model directory.
///
/// Layers are stored as Keras-like `{"class_name", "config"}` objects. A functional graph is stored
/// as its layer calls in execution order; a reference `["lstm", 0, 2]` means "output 2 of the first
/// call of layer lstm in this model". `weights` lists the safetensors keys in `getWeights()` order.
struct SavedModel: Codable {
    static let formatName = "lstmkit-model"
    static let currentVersion = 1

    var format: String
    var version: Int
    var className: String
    var name: String
    /// Per-sample input shape of a `Sequential` (nil if it was never built).
    var inputShape: [Int?]?
    var layers: [LayerConfig]
    var nodes: [SavedNode]?
    var inputs: [SavedReference]?
    var outputs: [SavedReference]?
    var weights: [String]
    var compile: SavedCompile?

    enum CodingKeys: String, CodingKey {
        case format, version, className = "class_name", name, inputShape = "input_shape", layers, nodes, inputs,
             outputs, weights, compile
    }
}

/// One layer call of a functional graph.
struct SavedNode: Codable {
    var layer: String
    var inputs: [SavedReference]
}

/// `[layer name, call index within the model, output index]`.
struct SavedReference: Codable, Hashable {
    var layer: String
    var call: Int
    var output: Int

    init(layer: String, call: Int, output: Int) {
        self.layer = layer
        self.call = call
        self.output = output
    }

    init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        layer = try c.decode(String.self)
        call = try c.decode(Int.self)
        output = try c.decode(Int.self)
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(layer)
        try c.encode(call)
        try c.encode(output)
    }
}

/// The `compile` settings, so a loaded model can train or evaluate at once.
struct SavedCompile: Codable {
    var optimizer: String
    var optimizerConfig: [String: Double]
    var loss: String
    var metrics: [String]
    /// Metric names per output (the list-of-lists form of `compile`), if that form was used.
    var metricsPerOutput: [[String]]? = nil
    /// Metric names by output name (the dictionary form of `compile`), if that form was used.
    var metricsByOutput: [String: [String]]? = nil

    enum CodingKeys: String, CodingKey {
        case optimizer, optimizerConfig = "optimizer_config", loss, metrics
        case metricsPerOutput = "metrics_per_output", metricsByOutput = "metrics_by_output"
    }
}
