import Foundation
import JupyterProtocol

// libFuzzer target over `JSONValue.decode(_:)` and the accessors handlers use on the result (`intValue`,
// `doubleValue`, subscripts, `kindName`); a decoded value must also encode and decode back to itself.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONValue.decode(bytes) else { return 0 }
    exercise(value)
    guard let encoded = try? value.encoded() else { return 0 }
    guard let again = try? JSONValue.decode(encoded) else {
        require(false, "a decoded value does not decode after encoding: \(String(decoding: encoded.prefix(200), as: UTF8.self))")
        return 0
    }
    _ = again
    return 0
}
