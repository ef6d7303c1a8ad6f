import Foundation

/// A JSON value as it travels in a display record (`application/json` data, metadata).
///
/// NotebookDisplay carries its own small JSON type so that it needs no Jupyter module; the encoder below
/// writes keys in sorted order so that records and golden files are byte-for-byte repeatable.
public enum NotebookJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([NotebookJSON])
    case object([String: NotebookJSON])

    /// Compact JSON text on one line (newlines inside strings are escaped), keys sorted.
    public var encoded: String {
        var out = ""
        Self.encode(self, into: &out)
        return out
    }

    /// Converts a Foundation JSON object (as `JSONSerialization` returns it) into a `NotebookJSON`.
    /// - Throws: `DisplayError.notJSON` when the value holds something JSON cannot represent.
    public init(foundation value: Any) throws {
        switch value {
        case is NSNull: self = .null
        case let n as NSNumber:
            // NSNumber bridges Bool too (`n is Bool` holds for 0 and 1); JSONSerialization makes booleans
            // with the `char` type code and never makes Int8 numbers, so the type code tells them apart.
            if String(cString: n.objCType) == "c" { self = .bool(n.boolValue) } else { self = .number(n.doubleValue) }
        case let s as String: self = .string(s)
        case let a as [Any]: self = .array(try a.map { try NotebookJSON(foundation: $0) })
        case let d as [String: Any]: self = .object(try d.mapValues { try NotebookJSON(foundation: $0) })
        default: throw DisplayError.notJSON(String(describing: type(of: value)))
        }
    }

    /// Parses JSON text.
    /// - Throws: `DisplayError.notJSON` when the text is not valid JSON.
    public init(parsing text: String) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw DisplayError.notJSON("text that does not parse as JSON (\(error.localizedDescription))")
        }
        try self.init(foundation: object)
    }

    private static func encode(_ value: NotebookJSON, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d): out += formatNumber(d)
        case .string(let s): encodeString(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                encode(item, into: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (i, key) in fields.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                encodeString(key, into: &out)
                out += ":"
                encode(fields[key]!, into: &out)
            }
            out += "}"
        }
    }

    /// JSON has no NaN or infinity; they become `null`, as Python's json module does with allow_nan=False
    /// callers expect. Whole numbers print without a fraction so counts stay counts.
    private static func formatNumber(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    private static func encodeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            // U+2028/2029 are valid JSON but break line-oriented readers written in JavaScript.
            case "\u{2028}", "\u{2029}":
                out += String(format: "\\u%04x", scalar.value)
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

extension NotebookJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    /// A JSON string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// A JSON number.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// A JSON number.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// A JSON boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A JSON array.
    public init(arrayLiteral elements: NotebookJSON...) { self = .array(elements) }
    /// A JSON object; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, NotebookJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    /// JSON null.
    public init(nilLiteral: ()) { self = .null }
}
