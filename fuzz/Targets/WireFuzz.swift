import Crypto
import JupyterProtocol
import Foundation

// libFuzzer target over `WireCodec.decode(_:)`: the input is split into frames at 0x1E. If the first
// byte is even, the frame after `<IDS|MSG>` is replaced by the correct HMAC of the next four frames, so
// mutations reach the JSON parsing behind the signature check; if odd, the frames are decoded as given
// (signature checking, frame counting). A decoded message's content is walked with every accessor, and
// it must encode and decode back to itself.

let key = "fuzz-key"
let codec = WireCodec(key: key)

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    require(CryptoStandIn.selfTest(), "the HMAC stand-in fails RFC 4231 test case 2")
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = bytes.first else { return 0 }
    var parts = frames(Array(bytes.dropFirst()))
    if mode % 2 == 0, let split = parts.firstIndex(of: WireCodec.delimiter), parts.count >= split + 6 {
        parts[split + 1] = Data(codec.signer.signature(of: parts[(split + 2)...(split + 5)]).utf8)
    }
    guard let message = try? codec.decode(parts) else { return 0 }
    exercise(message.content)
    exercise(message.parentHeader)
    exercise(.object(message.metadata))
    _ = message.parentMessageID
    guard let encoded = try? codec.encode(message) else { return 0 }
    guard let again = try? codec.decode(encoded) else {
        require(false, "a decoded message does not decode after encoding")
        return 0
    }
    require(again.header == message.header, "the header changes in an encode/decode round trip")
    return 0
}
