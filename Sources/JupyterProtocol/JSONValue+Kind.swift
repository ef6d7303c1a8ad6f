import Foundation

extension JSONValue {
    /// A short description of the value's kind for error messages, e.g. `a string ("x")` or `an array`.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "a boolean (\(b))"
        case .number(let n): return "a number (\(n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)))"
        case .string(let s): return "a string (\"\(s.prefix(40))\")"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
