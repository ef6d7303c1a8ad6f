import Foundation

/// Rewrites JSON escapes of unpaired UTF-16 surrogates (`"\ud800"`, a high surrogate not followed by a
/// low one, or a low one on its own) as `\ufffd`, the replacement character. Foundation's decoder rejects
/// such a document outright, while the JSON grammar allows it and Python clients produce it.
enum LoneSurrogates {
    /// The repaired bytes, or nil when `data` holds no lone surrogate escape (nothing to repair).
    static func replaced(in data: Data) -> Data? {
        let bytes = [UInt8](data)
        var output = [UInt8]()
        output.reserveCapacity(bytes.count)
        var changed = false
        var inString = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if !inString {
                if byte == UInt8(ascii: "\"") { inString = true }
                output.append(byte)
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = false
                output.append(byte)
                index += 1
                continue
            }
            guard byte == UInt8(ascii: "\\"), index + 1 < bytes.count else {
                output.append(byte)
                index += 1
                continue
            }
            guard bytes[index + 1] == UInt8(ascii: "u"), let unit = hexUnit(bytes, at: index + 2) else {
                // Any other escape (\\n, \\", \\\\, …) is copied as its two bytes, so `\\"` never ends the string.
                output.append(byte)
                output.append(bytes[index + 1])
                index += 2
                continue
            }
            if (0xD800...0xDBFF).contains(unit), index + 12 <= bytes.count,
               bytes[index + 6] == UInt8(ascii: "\\"), bytes[index + 7] == UInt8(ascii: "u"),
               let low = hexUnit(bytes, at: index + 8), (0xDC00...0xDFFF).contains(low) {
                output.append(contentsOf: bytes[index..<(index + 12)])     // a proper pair
                index += 12
            } else if (0xD800...0xDFFF).contains(unit) {
                output.append(contentsOf: Array("\\ufffd".utf8))
                changed = true
                index += 6
            } else {
                output.append(contentsOf: bytes[index..<(index + 6)])
                index += 6
            }
        }
        return changed ? Data(output) : nil
    }

    /// The four hex digits at `offset` as a UTF-16 code unit, or nil when they are not four hex digits.
    private static func hexUnit(_ bytes: [UInt8], at offset: Int) -> Int? {
        guard offset + 4 <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[offset..<(offset + 4)] {
            guard let digit = Int(String(UnicodeScalar(byte)), radix: 16) else { return nil }
            value = value * 16 + digit
        }
        return value
    }
}
