import Foundation

/// One value in a layer configuration: JSON-like, so configs round-trip through `JSONEncoder`.
public indirect enum ConfigValue: Codable, Equatable, Sendable {
    /// Equal values; an integer equals the same number stored as a double (JSON writes `0.0` as `0`).
    public static func == (a: ConfigValue, b: ConfigValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
        case (.string(let x), .string(let y)): return x == y
        case (.shape(let x), .shape(let y)): return x == y
        case (.layer(let x), .layer(let y)): return x == y
        default: return false
        }
    }

    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    /// A shape; `nil` entries are unknown extents (printed `None`, encoded as JSON `null`).
    case shape([Int?])
    /// A nested layer (TimeDistributed, Bidirectional).
    case layer(LayerConfig)

    /// Decodes plain JSON: null, bool, integer, number, string, array of (nullable) integers, or a layer config.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([Int?].self) { self = .shape(a) }
        else if let l = try? c.decode(LayerConfig.self) { self = .layer(l) }
        else { throw LSTMKitError.io("unsupported value in a layer config") }
    }

    /// Encodes as plain JSON (a shape's unknown extents become `null`).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .shape(let a): try c.encode(a)
        case .layer(let l): try c.encode(l)
        }
    }
}

/// A layer's type and arguments: enough to rebuild an identical (untrained) layer.
///
/// Encoded as `{"class_name": "LSTM", "config": {"name": "lstm", "units": 64, …}}` (Keras-like keys in
/// snake_case). `Layer.fromConfig(_:)` rebuilds a layer through the registry.
public struct LayerConfig: Codable, Equatable, Sendable {
    /// Keras class name: `LSTM`, `Dense`, `TimeDistributed`, …
    public var className: String
    /// Layer arguments by Keras name, including `name`.
    public var values: [String: ConfigValue]

    /// A config with the given class name and values.
    public init(className: String, values: [String: ConfigValue]) {
        self.className = className
        self.values = values
    }

    enum CodingKeys: String, CodingKey { case className = "class_name", values = "config" }

    // Typed readers used by the layers' `init(config:)`; each throws naming the key and the layer.
    func int(_ key: String) throws -> Int {
        guard case .int(let v)? = values[key] else { throw missing(key, "an integer") }
        return v
    }
    func double(_ key: String, default d: Double? = nil) throws -> Double {
        switch values[key] {
        case .double(let v)?: return v
        case .int(let v)?: return Double(v)
        case nil where d != nil: return d!
        default: throw missing(key, "a number")
        }
    }
    /// A number argument of a serialised initializer, regularizer or constraint (`what`); absent or
    /// null gives `d`.
    func float(_ key: String, default d: Float, in what: String) throws -> Float {
        switch values[key] {
        case nil, .null?: return d
        case .double(let x)?: return Float(x)
        case .int(let x)?: return Float(x)
        case let other?: throw LSTMKitError.invalidArgument("\(what) \(className) expects '\(key)' to be a number, got \(other)")
        }
    }
    func bool(_ key: String, default d: Bool? = nil) throws -> Bool {
        switch values[key] {
        case .bool(let v)?: return v
        case nil where d != nil: return d!
        default: throw missing(key, "a boolean")
        }
    }
    func string(_ key: String, default d: String? = nil) throws -> String {
        switch values[key] {
        case .string(let v)?: return v
        case nil where d != nil: return d!
        default: throw missing(key, "a string")
        }
    }
    func shape(_ key: String) throws -> [Int?]? {
        switch values[key] {
        case .shape(let v)?: return v
        case .null?, nil: return nil
        default: throw missing(key, "a shape")
        }
    }
    func activation(_ key: String, default d: Activation) throws -> Activation {
        guard values[key] != nil else { return d }
        return try Activation(name: string(key))
    }
    func initializer(_ key: String, default d: Initializer) throws -> Initializer {
        guard let v = values[key], v != .null else { return d }
        return try Initializer(configValue: v, key: key)
    }
    func regularizer(_ key: String) throws -> Regularizer? {
        guard let v = values[key], v != .null else { return nil }
        return try Regularizer(configValue: v, key: key)
    }
    func constraint(_ key: String) throws -> Constraint? {
        guard let v = values[key], v != .null else { return nil }
        return try Constraint(configValue: v, key: key)
    }
    func layer(_ key: String) throws -> LayerConfig {
        guard case .layer(let l)? = values[key] else { throw missing(key, "a layer config") }
        return l
    }
    var name: String? { if case .string(let s)? = values["name"] { return s } else { return nil } }

    private func missing(_ key: String, _ what: String) -> LSTMKitError {
        .invalidArgument("\(className) config: expected '\(key)' to be \(what), got \(values[key].map { "\($0)" } ?? "nothing")")
    }
}

/// Maps Keras class names to constructors, so saved architectures can be rebuilt.
public enum LayerRegistry {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var makers: [String: (LayerConfig) throws -> Layer] = [
        "InputLayer": { try Input(config: $0) },
        "Dense": { try Dense(config: $0) },
        "LSTM": { try LSTM(config: $0) },
        "GRU": { try GRU(config: $0) },
        "SimpleRNN": { try SimpleRNN(config: $0) },
        "Bidirectional": { try Bidirectional(config: $0) },
        "RepeatVector": { try RepeatVector(config: $0) },
        "TimeDistributed": { try TimeDistributed(config: $0) },
        "Reshape": { try Reshape(config: $0) },
        "Flatten": { try Flatten(config: $0) },
        "Masking": { try Masking(config: $0) },
        "Dropout": { try Dropout(config: $0) },
    ]

    /// Registers (or replaces) the constructor for `className`.
    public static func register(_ className: String, _ make: @escaping (LayerConfig) throws -> Layer) {
        lock.lock(); defer { lock.unlock() }
        makers[className] = make
    }

    /// Builds a new layer from a config; throws for an unknown class name.
    public static func makeLayer(_ config: LayerConfig) throws -> Layer {
        lock.lock()
        let make = makers[config.className]
        let known = makers.keys.sorted().joined(separator: ", ")
        lock.unlock()
        guard let make else {
            throw LSTMKitError.invalidArgument("unknown layer class '\(config.className)'; expected one of: \(known)")
        }
        let layer = try make(config)
        if case .bool(let t)? = config.values["trainable"] { layer.trainable = t }
        return layer
    }
}
