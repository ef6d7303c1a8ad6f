import Foundation
import JupyterProtocol

/// A request field that is present but unusable: answered with an error reply naming the field, the
/// kind of value expected and the value given (never a trap, whatever number a client signs).
struct InvalidRequestField: Error, CustomStringConvertible {
    let field: String
    let expected: String
    let given: JSONValue

    var description: String { "\(field) must be \(expected), given \(given.kindName)" }
}

extension Message {
    /// The integer field `name` of the content: nil when absent or null. Throws `InvalidRequestField` for
    /// a non-number, a fraction, or a number outside `range` (which also keeps 1e300 and -1e19 out of Int).
    func integerField(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int? {
        guard let value = content[name], value != .null else { return nil }
        let expected = range == Int.min...Int.max ? "an integer" : "an integer in \(range.lowerBound)...\(range.upperBound)"
        guard case .number(let number) = value, number.rounded() == number else {
            throw InvalidRequestField(field: name, expected: expected, given: value)
        }
        guard let integer = Int(exactly: number), range.contains(integer) else {
            throw InvalidRequestField(field: name, expected: expected, given: value)
        }
        return integer
    }

    /// A count such as history's `n`: any whole number is accepted, and ones beyond Int's range mean
    /// "as many as there are" (clamped), as Python clients expect of an unbounded int.
    func countField(_ name: String) throws -> Int? {
        guard let value = content[name], value != .null else { return nil }
        guard case .number(let number) = value, number.rounded() == number else {
            throw InvalidRequestField(field: name, expected: "a whole number", given: value)
        }
        if let integer = Int(exactly: number) { return max(0, integer) }
        return number > 0 ? Int.max : 0
    }

    /// The string field `name`: nil when absent or null; throws for another kind of value.
    func stringField(_ name: String) throws -> String? {
        guard let value = content[name], value != .null else { return nil }
        guard let string = value.stringValue else { throw InvalidRequestField(field: name, expected: "a string", given: value) }
        return string
    }
}
