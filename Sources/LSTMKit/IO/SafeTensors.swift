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
                #if _endian(little)
                out.append(UnsafeBufferPointer(start: UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: UInt8.self),
                                               count: buffer.count * 4))
                #else
                for v in buffer {
                    var bits = v.bitPattern.littleEndian
                    withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
                }
                #endif
            }
        }
        return out
    }

    /// One tensor's header entry, checked against the data section.
    private struct Entry {
        var name: String, dtype: String, width: Int, shape: [Int], begin: Int, end: Int
    }

    /// Decodes a safetensors blob into named tensors and its metadata; throws `LSTMKitError.io` naming
    /// what is malformed. Like the Python package it requires every entry's `data_offsets` to be in range,
    /// to match its dtype and shape, and the entries together to tile the data section exactly: no overlap,
    /// no gap, nothing after the last one.
    public static func decode(_ data: Data) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard data.count >= 8 else {
            throw LSTMKitError.io("safetensors data must start with an 8-byte header length, got \(data.count) bytes")
        }
        let base = data.startIndex
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(data[base + i]) << (8 * UInt64(i)) }
        guard n <= UInt64(data.count - 8) else {
            throw LSTMKitError.io("safetensors header length \(n) exceeds the \(data.count - 8) bytes that follow")
        }
        let headerEnd = 8 + Int(n)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: (base + 8)..<(base + headerEnd))) as? [String: Any] else {
            throw LSTMKitError.io("safetensors header is not a JSON object")
        }
        let dataBytes = data.count - headerEnd
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else {
                    throw LSTMKitError.io("safetensors '__metadata__' must be an object of strings, got \(type(of: value))")
                }
                for (k, v) in m { metadata[k] = "\(v)" }
                continue
            }
            entries.append(try entry(name, value, dataBytes: dataBytes))
        }
        // The entries must tile the data section: sorted by offset, each starts where the previous ended.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var position = 0
        for e in entries {
            guard e.begin == position else {
                let what = e.begin < position ? "overlaps the previous tensor's bytes" : "leaves a gap of \(e.begin - position) bytes"
                throw LSTMKitError.io("safetensors entry '\(e.name)' data_offsets [\(e.begin), \(e.end)] \(what): expected it to start at byte \(position)")
            }
            position = e.end
        }
        guard position == dataBytes else {
            throw LSTMKitError.io("safetensors tensors cover \(position) data bytes, the file has \(dataBytes): expected them to match")
        }
        var tensors: [String: Tensor] = [:]
        for e in entries {
            let count = (e.end - e.begin) / e.width
            let begin = base + headerEnd + e.begin
            var values = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let p = raw.baseAddress! + (begin - base)
                for i in 0..<count {
                    switch e.width {
                    case 4: values[i] = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    case 8: values[i] = Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                    default: values[i] = Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                    }
                }
            }
            tensors[e.name] = try Tensor(shape: e.shape, scalars: values)
        }
        return (tensors, metadata)
    }

    /// Parses and checks one header entry: a known dtype, a shape of non-negative integers whose byte size
    /// matches `data_offsets`, and offsets within the `dataBytes` of the data section.
    private static func entry(_ name: String, _ value: Any, dataBytes: Int) throws -> Entry {
        guard let e = value as? [String: Any], let dtype = e["dtype"] as? String,
              let shape = e["shape"] as? [Int], let offsets = e["data_offsets"] as? [Int], offsets.count == 2 else {
            throw LSTMKitError.io("safetensors entry '\(name)' needs dtype (a string), shape (integers) and data_offsets [begin, end] (integers)")
        }
        let width: Int
        switch dtype {
        case "F32": width = 4
        case "F64": width = 8
        case "F16": width = 2
        default: throw LSTMKitError.io("safetensors entry '\(name)' has dtype \(dtype); LSTMKit reads F32, F64 and F16")
        }
        // Validate before any arithmetic that could overflow on a hostile header.
        guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataBytes else {
            throw LSTMKitError.io(
                "safetensors entry '\(name)' has shape \(shape) and data_offsets \(offsets); expected non-negative extents and 0 ≤ begin ≤ end ≤ \(dataBytes) (the data bytes)")
        }
        let size = LSTMKit.checkedProduct(shape + [width])
        guard let size, size == offsets[1] - offsets[0] else {
            throw LSTMKitError.io(
                "safetensors entry '\(name)' of shape \(formatShape(shape)) \(dtype) needs \(size.map(String.init) ?? "more than \(Int.max)") bytes, its data_offsets \(offsets) give \(offsets[1] - offsets[0])")
        }
        return Entry(name: name, dtype: dtype, width: width, shape: shape, begin: offsets[0], end: offsets[1])
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
