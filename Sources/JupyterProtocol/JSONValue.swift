import Foundation

/// A JSON value as it travels in a Jupyter message: content, metadata and MIME bundles are all JSON.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            // Integral numbers are written without a fraction so counts stay integers for clients.
            if value.rounded() == value, abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    /// The string payload, or nil for any other case.
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The numeric payload as Int, or nil when it is not a whole number or lies outside Int's range
    /// (1e300, -1e19, NaN): numbers arrive from the wire and from files, so the conversion is checked.
    public var intValue: Int? { if case .number(let n) = self { return Int(exactly: n) } else { return nil } }
    /// The numeric payload, or nil.
    public var doubleValue: Double? { if case .number(let n) = self { return n } else { return nil } }
    /// The boolean payload, or nil.
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    /// The object payload, or nil.
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
    /// The array payload, or nil.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    /// Member lookup on objects; nil for other cases or a missing key.
    public subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// Serialises to compact JSON bytes (keys sorted, so output is deterministic).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Parses JSON bytes. A `\uD800`-style escape of a lone UTF-16 surrogate (valid JSON, which Python's
    /// `json` writes for unpaired surrogates) becomes U+FFFD instead of failing the whole document.
    ///
    /// Foundation's `JSONSerialization` does the parsing: it is linear in the input and refuses nesting
    /// deeper than 512 levels, while decoding through `Decodable` took 0.7 s for one 400-deep array (each
    /// level tries every kind in turn), which a hostile client could repeat to hold up the shell.
    public static func decode(_ data: Data) throws -> JSONValue {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            guard let repaired = LoneSurrogates.replaced(in: data) else { throw error }
            object = try JSONSerialization.jsonObject(with: repaired, options: [.fragmentsAllowed])
        }
        return try JSONValue(parsed: object)
    }

    /// Converts what `JSONSerialization` returns (nesting is already bounded by it).
    init(parsed object: Any) throws {
        switch object {
        case is NSNull:
            self = .null
        case let number as NSNumber:
            // JSON booleans come back as NSNumber with the C type "c" (char); numbers never do.
            if String(cString: number.objCType) == "c" { self = .bool(number.boolValue) } else { self = .number(number.doubleValue) }
        case let string as String:
            self = .string(string)
        case let array as [Any]:
            self = .array(try array.map(JSONValue.init(parsed:)))
        case let dictionary as [String: Any]:
            self = .object(try dictionary.mapValues(JSONValue.init(parsed:)))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not a JSON value: \(type(of: object))"))
        }
    }
}
