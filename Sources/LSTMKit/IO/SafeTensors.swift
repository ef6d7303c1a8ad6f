import Foundation

/// Reads and writes the `safetensors` format (the one the Python `safetensors` package, PyTorch and
/// numpy tooling read): an 8-byte little-endian header length N, N bytes of JSON header
/// `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}`,
/// then the raw little-endian tensor bytes. LSTMKit writes F32 only and reads F32 (plus F64/F16 → Float).
public enum SafeTensors {
    /// Encodes named tensors (sorted by name, as the Python package does) with optional string metadata.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]] as [String: Any]
            offset += 4 * t.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data starts 8-byte aligned (allowed by the format).
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = Data()
        out.reserveCapacity(8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            tensors[name]!.withUnsafeBufferPointer { buffer in
                for v in buffer {
                    var bits = v.bitPattern.littleEndian
                    withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
                }
            }
        }
        return out
    }

    /// Decodes a safetensors blob into named tensors and its metadata; throws `LSTMKitError.io` naming
    /// what is malformed.
    public static func decode(_ data: Data) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else {
            throw LSTMKitError.io("safetensors data must start with an 8-byte header length, got \(bytes.count) bytes")
        }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(bytes.count - 8) else {
            throw LSTMKitError.io("safetensors header length \(n) exceeds the \(bytes.count - 8) bytes that follow")
        }
        let headerEnd = 8 + Int(n)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) as? [String: Any] else {
            throw LSTMKitError.io("safetensors header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:]
        for (name, entry) in header {
            if name == "__metadata__" {
                for (k, v) in (entry as? [String: Any]) ?? [:] { metadata[k] = "\(v)" }
                continue
            }
            guard let e = entry as? [String: Any], let dtype = e["dtype"] as? String,
                  let shape = e["shape"] as? [Int], let offsets = e["data_offsets"] as? [Int], offsets.count == 2 else {
                throw LSTMKitError.io("safetensors entry '\(name)' needs dtype, shape and data_offsets [begin, end]")
            }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F64": width = 8
            case "F16": width = 2
            default: throw LSTMKitError.io("safetensors entry '\(name)' has dtype \(dtype); LSTMKit reads F32, F64 and F16")
            }
            // Validate before any arithmetic that could overflow on a hostile header.
            let dataBytes = bytes.count - headerEnd
            guard shape.allSatisfy({ $0 >= 0 && $0 <= dataBytes }), offsets[0] >= 0, offsets[0] <= offsets[1],
                  offsets[1] <= dataBytes else {
                throw LSTMKitError.io(
                    "safetensors entry '\(name)' has shape \(shape) and data_offsets \(offsets); expected non-negative extents and offsets within the \(dataBytes) data bytes")
            }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            let begin = headerEnd + offsets[0], end = headerEnd + offsets[1]
            guard count <= dataBytes, end - begin == count * width else {
                throw LSTMKitError.io(
                    "safetensors entry '\(name)' of shape \(formatShape(shape)) \(dtype) needs \(count * width) bytes, its data_offsets \(offsets) give \(offsets[1] - offsets[0]) (file has \(bytes.count - headerEnd) data bytes)")
            }
            var values = [Float](repeating: 0, count: count)
            for i in 0..<count {
                let at = begin + i * width
                var bits: UInt64 = 0
                for b in 0..<width { bits |= UInt64(bytes[at + b]) << (8 * UInt64(b)) }
                switch width {
                case 4: values[i] = Float(bitPattern: UInt32(bits))
                case 8: values[i] = Float(Double(bitPattern: bits))
                default: values[i] = Float(Float16(bitPattern: UInt16(bits)))
                }
            }
            tensors[name] = try Tensor(shape: shape, scalars: values)
        }
        return (tensors, metadata)
    }

    /// Writes `tensors` to a `.safetensors` file.
    public static func write(_ tensors: [String: Tensor], to url: URL, metadata: [String: String] = [:]) throws {
        let data = try encode(tensors, metadata: metadata)
        do { try data.write(to: url, options: .atomic) } catch {
            throw LSTMKitError.io("could not write \(url.path): \(error.localizedDescription)")
        }
    }

    /// Reads a `.safetensors` file.
    public static func read(from url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw LSTMKitError.io("could not read \(url.path): \(error.localizedDescription)")
        }
        return try decode(data)
    }
}
