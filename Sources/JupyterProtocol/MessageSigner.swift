import Crypto
import Foundation

/// Signs and checks messages with HMAC-SHA256 over header | parent_header | metadata | content, as the
/// Jupyter wire protocol specifies. An empty key disables signing (the signature frame is empty).
public struct MessageSigner: Sendable {
    private let key: SymmetricKey?

    /// A signer for the connection file's `key` (its UTF-8 bytes are the HMAC key, as in jupyter_client).
    public init(key: String) {
        self.init(keyData: Data(key.utf8))
    }

    /// A signer for raw key bytes; empty disables signing.
    public init(keyData: Data) {
        self.key = keyData.isEmpty ? nil : SymmetricKey(data: keyData)
    }

    /// Whether messages are signed at all.
    public var isEnabled: Bool { key != nil }

    /// The lower-case hex HMAC of the concatenated frames ("" when signing is disabled).
    public func signature<Frames: Sequence>(of frames: Frames) -> String where Frames.Element == Data {
        guard let key else { return "" }
        var hmac = HMAC<SHA256>(key: key)
        for frame in frames { hmac.update(data: frame) }
        return Self.hex(Data(hmac.finalize()))
    }

    /// Checks a hex signature in constant time (the comparison does not stop at the first differing byte).
    public func isValid<Frames: Sequence>(signature: Data, of frames: Frames) -> Bool where Frames.Element == Data {
        guard let key else { return true }
        guard let mac = Self.bytes(fromHex: signature), mac.count == SHA256.byteCount else { return false }
        var concatenated = Data()
        for frame in frames { concatenated.append(frame) }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: concatenated, using: key)
    }

    static func hex(_ data: Data) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(data.count * 2)
        for byte in data {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex (either case); nil for odd length or a non-hex character.
    static func bytes(fromHex hex: Data) -> Data? {
        guard hex.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out = Data(capacity: hex.count / 2)
        var iterator = hex.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = nibble(high), let l = nibble(low) else { return nil }
            out.append(h << 4 | l)
        }
        return out
    }
}
