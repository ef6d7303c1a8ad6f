import Foundation
import XCTest
@testable import LSTMKit

/// Corrupt and hostile model files and shapes throw an `LSTMKitError` naming the problem; none traps
/// (issue 10: nothing read from disk may kill the worker).
final class CorruptFileTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lstmkit-corrupt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// A safetensors blob with `header` (JSON text) and `dataBytes` zero bytes of data.
    func blob(_ header: String, dataBytes: Int) -> Data {
        let json = Array(header.utf8)
        var d = Data()
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { d.append(contentsOf: $0) }
        d.append(contentsOf: json)
        d.append(Data(count: dataBytes))
        return d
    }

    func message(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch let e as LSTMKitError { return e.message } catch { return "not an LSTMKitError: \(error)" }
    }

    func testOverlappingGapLeavingAndOutOfRangeOffsetsAreRejected() {
        let overlap = blob(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12)
        XCTAssertEqual(message { try SafeTensors.decode(overlap) },
                       "safetensors entry 'b' data_offsets [4, 12] overlaps the previous tensor's bytes: expected it to start at byte 8")
        let gap = blob(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, dataBytes: 12)
        XCTAssertEqual(message { try SafeTensors.decode(gap) },
                       "safetensors entry 'b' data_offsets [8, 12] leaves a gap of 4 bytes: expected it to start at byte 4")
        let same = blob(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4)
        XCTAssertNotNil(message { try SafeTensors.decode(same) }, "two tensors sharing bytes")
        let trailing = blob(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 8)
        XCTAssertEqual(message { try SafeTensors.decode(trailing) }, "safetensors tensors cover 4 data bytes, the file has 8: expected them to match")
        let beyond = blob(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8)
        XCTAssertTrue(message { try SafeTensors.decode(beyond) }?.contains("expected non-negative extents and 0 ≤ begin ≤ end ≤ 8") == true)
        let reversed = blob(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, dataBytes: 4)
        XCTAssertNotNil(message { try SafeTensors.decode(reversed) })
        // Offsets in another order than the names are fine, as in the Python package.
        let unordered = blob(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 8)
        XCTAssertEqual(try SafeTensors.decode(unordered).tensors.keys.sorted(), ["a", "b"])
    }

    func testHostileNumbersDtypesAndShapesInTheHeaderThrow() {
        let cases: [(String, Int, String)] = [
            (#"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, 8, "has dtype I64; LSTMKit reads F32, F64 and F16"),
            (#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#, 12, "needs 16 bytes, its data_offsets [0, 12] give 12"),
            (#"{"a":{"dtype":"F32","shape":[1e300],"data_offsets":[0,4]}}"#, 4, "needs dtype (a string), shape (integers)"),
            (#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, 4, "needs dtype (a string), shape (integers)"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4e300]}}"#, 4, "needs dtype (a string), shape (integers)"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, 4, "expected non-negative extents"),
            (#"{"a":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}"#, 0, "needs more than"),
            (#"{"a":{"dtype":"F32","shape":[9223372036854775807,2],"data_offsets":[0,8]}}"#, 8, "needs more than"),
            (#"{"a":[1,2,3]}"#, 0, "needs dtype (a string)"),
            (#"{"__metadata__":[1],"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, 4, "'__metadata__' must be an object"),
            (#"[1,2]"#, 0, "header is not a JSON object"),
            (#"{"a":"#, 0, "header is not a JSON object"),
        ]
        for (header, bytes, expected) in cases {
            let got = message { try SafeTensors.decode(blob(header, dataBytes: bytes)) }
            XCTAssertTrue(got?.contains(expected) == true, "\(header): \(got ?? "no error")")
        }
        var huge = Data([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]); huge.append(contentsOf: [0x7b, 0x7d])
        XCTAssertEqual(message { try SafeTensors.decode(huge) }, "safetensors header length 18446744073709551615 exceeds the 2 bytes that follow")
    }

    /// Every truncation and every single-byte change of a real saved file throws or decodes; none traps.
    func testEveryTruncationAndByteFlipOfASavedFileThrowsOrDecodes() throws {
        let model = try Sequential([LSTM(units: 2, inputShape: [3, 2]), Dense(units: 1)])
        model.compile(optimizer: Adam(), loss: .meanSquaredError)
        try model.save(to: directory.appendingPathComponent("m"))
        let data = try Data(contentsOf: directory.appendingPathComponent("m/model.safetensors"))
        for n in 0..<data.count { XCTAssertThrowsError(try SafeTensors.decode(data.prefix(n)), "truncated at \(n)") }
        let header = 8 + Int(data[0]) + Int(data[1]) << 8
        for i in 0..<header {
            for flip in [UInt8(0x01), 0x20, 0x80] {
                var d = data
                d[i] ^= flip
                _ = try? SafeTensors.decode(d)
            }
        }
    }

    /// Saves a small model, lets `edit` change its `model.json` (as a JSON object) and loads it again.
    func loadEdited(_ edit: (inout [String: Any]) -> Void) throws -> String? {
        let url = directory.appendingPathComponent("edited-\(UUID().uuidString)")
        let model = try Sequential([LSTM(units: 4, inputShape: [3, 2], name: "lstm"), Dense(units: 1, name: "dense")])
        try model.save(to: url)
        let jsonURL = url.appendingPathComponent("model.json")
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: jsonURL)) as? [String: Any])
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: jsonURL)
        return message { try Model.load(from: url) }
    }

    func setLSTM(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
        { json in
            var layers = json["layers"] as! [[String: Any]]
            var config = layers[0]["config"] as! [String: Any]
            config[key] = value
            layers[0]["config"] = config
            json["layers"] = layers
        }
    }

    func testAModelJSONWhoseWeightsWouldNotFitInMemoryThrowsBeforeAllocating() throws {
        let got = try loadEdited(setLSTM("units", 10_000_000))
        let limit = LSTMKit.maxLayerParameters
        XCTAssertEqual(got, "LSTM 'lstm' would have 400000120000000 parameters, above LSTMKit's limit of \(limit) per layer (physical memory / 16 bytes: weights, gradient and two optimizer slots in Float32); check its units and input features")
        let overflow = try loadEdited(setLSTM("units", Int.max / 2))
        XCTAssertTrue(overflow?.hasPrefix("LSTM 'lstm' would have more than 9223372036854775807 parameters") == true, overflow ?? "")
        let wide = try loadEdited(setLSTM("input_shape", [3, 1 << 40]))
        XCTAssertTrue(wide?.hasPrefix("LSTM 'lstm' would have") == true, wide ?? "")
    }

    func testHostileNumbersInModelJSONThrow() throws {
        for units in [1e300, -1e300, 2.5, -5, 0] as [Any] {
            XCTAssertNotNil(try loadEdited(setLSTM("units", units)), "units \(units)")
        }
        XCTAssertNotNil(try loadEdited(setLSTM("dropout", 1e300)))
        XCTAssertNotNil(try loadEdited(setLSTM("input_shape", [-3, 2])))
        XCTAssertNotNil(try loadEdited(setLSTM("input_shape", [3, -2])))
        XCTAssertNotNil(try loadEdited(setLSTM("input_shape", [3, 1e300])))
        XCTAssertNotNil(try loadEdited { $0["version"] = 1e300 })
        // A Sequential built from its top-level input_shape (the first layer declares none).
        XCTAssertNotNil(try loadEdited { json in self.setLSTM("input_shape", NSNull())(&json); json["input_shape"] = [3, -2] })
        XCTAssertNotNil(try loadEdited { json in self.setLSTM("input_shape", NSNull())(&json); json["input_shape"] = [3, 1 << 40] })
        XCTAssertNotNil(try loadEdited { $0["layers"] = "nope" })
    }

    func testHostileGraphReferencesAndReshapesThrow() throws {
        let x = Input(shape: [3, 2], name: "x")
        let y = try Dense(units: 2, name: "d")(try Reshape([6], name: "r")(x))
        let model = try Model(inputs: [x], outputs: [y])
        let url = directory.appendingPathComponent("functional")
        try model.save(to: url)
        let jsonURL = url.appendingPathComponent("model.json")
        let original = try Data(contentsOf: jsonURL)
        func load(_ edit: (inout [String: Any]) -> Void) throws -> String? {
            var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: original) as? [String: Any])
            edit(&json)
            try JSONSerialization.data(withJSONObject: json).write(to: jsonURL)
            return message { try Model.load(from: url) }
        }
        XCTAssertNil(try load { _ in })
        for reference in [["x", -1, 0], ["x", 0, -1], ["x", 5, 0], ["d", 0, 9]] as [[Any]] {
            XCTAssertNotNil(try load { $0["outputs"] = [reference] }, "\(reference)")
        }
        func setReshape(_ target: [Any]) -> (inout [String: Any]) -> Void {
            { json in
                var layers = json["layers"] as! [[String: Any]]
                let i = layers.firstIndex { ($0["class_name"] as? String) == "Reshape" }!
                var config = layers[i]["config"] as! [String: Any]
                config["target_shape"] = target
                layers[i]["config"] = config
                json["layers"] = layers
            }
        }
        XCTAssertNotNil(try load(setReshape([1 << 62, 1 << 62])))
        XCTAssertNotNil(try load(setReshape([-1, -1])))
        XCTAssertNotNil(try load { json in
            var layers = json["layers"] as! [[String: Any]]
            var config = layers[0]["config"] as! [String: Any]
            config["batch_shape"] = [NSNull(), 1 << 62, 1 << 62]
            layers[0]["config"] = config
            json["layers"] = layers
        })
    }

    /// Every number in the model.json of a model using every layer kind, replaced in turn by each hostile
    /// value, loads or throws; none traps (the test process would die).
    func testEveryNumberInModelJSONReplacedByAHostileValueLoadsOrThrows() throws {
        let x = Input(shape: [5, 3], name: "x")
        let masked = try Masking(maskValue: 0, name: "mask")(x)
        let seq = try LSTM(units: 4, returnSequences: true, name: "lstm")(masked)
        let bi = try Bidirectional(GRU(units: 2, returnSequences: true), name: "bi")(seq)
        let td = try TimeDistributed(Dense(units: 2), name: "td")(try Dropout(0.1, name: "drop")(bi))
        let rnn = try SimpleRNN(units: 3, name: "rnn")(td)
        let rep = try RepeatVector(2, name: "rep")(rnn)
        let flat = try Flatten(name: "flat")(try Reshape([3, 2], name: "reshape")(rep))
        let model = try Model(inputs: [x], outputs: [try Dense(units: 1, name: "out")(flat)])
        model.compile(optimizer: Adam(), loss: .meanSquaredError)
        let url = directory.appendingPathComponent("every-layer")
        try model.save(to: url)
        let jsonURL = url.appendingPathComponent("model.json")
        let original = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: jsonURL)))
        XCTAssertNoThrow(try Model.load(from: url))

        /// Paths (keys and indices) of every number or boolean in the JSON tree.
        func numberPaths(_ v: Any, _ path: [Any]) -> [[Any]] {
            if let d = v as? [String: Any] { return d.flatMap { numberPaths($0.value, path + [$0.key]) } }
            if let a = v as? [Any] { return a.enumerated().flatMap { numberPaths($0.element, path + [$0.offset]) } }
            return v is String || v is NSNull ? [] : [path]   // numbers and booleans
        }
        func replacing(_ v: Any, _ path: ArraySlice<Any>, with new: Any) -> Any {
            guard let head = path.first else { return new }
            if var d = v as? [String: Any], let k = head as? String { d[k] = replacing(d[k]!, path.dropFirst(), with: new); return d }
            if var a = v as? [Any], let i = head as? Int { a[i] = replacing(a[i], path.dropFirst(), with: new); return a }
            return v
        }
        let paths = numberPaths(original, [])
        XCTAssertGreaterThan(paths.count, 20)
        let hostile: [Any] = [-1, 0, 1 << 40, Int.max, Int.min, 1e300, -1e300, 2.5]
        var thrown = 0
        for path in paths {
            for value in hostile {
                let edited = replacing(original, path[...], with: value)
                try JSONSerialization.data(withJSONObject: edited).write(to: jsonURL)
                do { _ = try Model.load(from: url) } catch is LSTMKitError { thrown += 1 } catch {
                    XCTFail("\(path) = \(value): not an LSTMKitError: \(error)")
                }
            }
        }
        XCTAssertGreaterThan(thrown, paths.count, "most hostile numbers are rejected")
    }

    func testTensorFactoriesThrowForNegativeOrImpossibleShapes() {
        XCTAssertEqual(message { try Tensor.zeros([2, -1]) }, "Tensor.zeros expects non-negative extents, got shape (2, -1) with extent -1")
        XCTAssertEqual(message { try Tensor.ones([-3]) }, "Tensor.ones expects non-negative extents, got shape (-3,) with extent -3")
        XCTAssertNotNil(message { try Tensor.randomUniform([-1, 4]) })
        XCTAssertNotNil(message { try Tensor.randomNormal([-1]) })
        XCTAssertNotNil(message { try Tensor.arange([-1]) })
        XCTAssertNotNil(message { try Tensor(repeating: 1, shape: [-2]) })
        let huge = message { try Tensor.zeros([1 << 40, 1 << 40]) }
        XCTAssertTrue(huge?.hasPrefix("Tensor.zeros of shape (1099511627776, 1099511627776) would hold more than") == true, huge ?? "")
        XCTAssertNotNil(message { try Tensor.ones([Int.max, 2]) })
        XCTAssertNotNil(message { try Tensor(shape: [1 << 40, 1 << 40, 0], scalars: []) })
        XCTAssertEqual(try Tensor.zeros([0, 1 << 40]).count, 0)
    }
}
