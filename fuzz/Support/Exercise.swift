import Foundation
import JupyterProtocol

// Shared by the fuzz targets: drives every accessor a request handler uses on a decoded JSON value, so a
// trap in any of them (an unchecked `Int(_:)` of a huge number, say) is found by the fuzzer.

/// Walks `value` (depth-limited) calling `intValue`, `doubleValue`, `stringValue`, `boolValue`,
/// `objectValue`, `arrayValue`, `kindName`, the member subscript and the field names handlers read.
func exercise(_ value: JSONValue, depth: Int = 0) {
    _ = value.intValue
    _ = value.doubleValue
    _ = value.stringValue
    _ = value.boolValue
    _ = value.kindName
    for key in ["cursor_pos", "n", "code", "session", "start", "stop", "hist_access_type", "detail_level",
                "silent", "store_history", "allow_stdin", "stop_on_error", "restart", "msg_id", "value"] {
        if let member = value[key] {
            _ = member.intValue
            _ = member.doubleValue
            _ = member.stringValue
            _ = member.boolValue
        }
    }
    guard depth < 64 else { return }
    if let object = value.objectValue { for (_, v) in object { exercise(v, depth: depth + 1) } }
    if let array = value.arrayValue { for v in array { exercise(v, depth: depth + 1) } }
}

/// Splits `bytes` into frames at each 0x1E (ASCII record separator), the seed corpus's frame separator.
func frames(_ bytes: [UInt8]) -> [Data] {
    bytes.split(separator: 0x1E, omittingEmptySubsequences: false).map { Data($0) }
}

/// Fails the run (libFuzzer then saves the input) when a property does not hold.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        FileHandle.standardError.write(Data("fuzz property failed: \(message())\n".utf8))
        abort()
    }
}
