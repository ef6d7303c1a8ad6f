import Foundation
import XCTest
@testable import LSTMKit

final class IOTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lstmkit-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testSafeTensorsHeaderLayout() throws {
        let data = try SafeTensors.encode(["b": Tensor([1, 2]), "a": try Tensor([[0.5]])])
        let bytes = [UInt8](data)
        let n = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        XCTAssertEqual((8 + Int(n)) % 8, 0, "data section starts 8-byte aligned")
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + Int(n))])) as? [String: Any])
        let a = try XCTUnwrap(header["a"] as? [String: Any]), b = try XCTUnwrap(header["b"] as? [String: Any])
        XCTAssertEqual(a["dtype"] as? String, "F32")
        XCTAssertEqual(a["shape"] as? [Int], [1, 1])
        XCTAssertEqual(a["data_offsets"] as? [Int], [0, 4])
        XCTAssertEqual(b["data_offsets"] as? [Int], [4, 12])
        XCTAssertEqual(Array(bytes[(8 + Int(n))...]), [0, 0, 0, 0x3f, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40], "little-endian F32")
        XCTAssertEqual(bytes.count, 8 + Int(n) + 12)
    }

    /// A file written by the Python `safetensors` package (tools/fixtures/make_fixtures.py safetensors).
    func testReadsAFileWrittenByPythonSafetensors() throws {
        let (tensors, metadata) = try SafeTensors.read(from: try fixtureURL("python_written.safetensors"))
        let expected = try loadFixture("python_written.json", as: [String: FixtureTensor].self)
        XCTAssertEqual(Set(tensors.keys), Set(expected.keys))
        for (name, want) in expected { XCTAssertEqual(tensors[name], want.tensor, name) }
        XCTAssertEqual(metadata["format"], "lstmkit-fixture")
        XCTAssertEqual(tensors["scalar"]?.shape, [])
    }

    /// The tensors of `Fixtures/swift_written.safetensors`; tests/python/test_safetensors.py checks the
    /// same values after reading the file with the Python `safetensors` package.
    static func swiftWrittenTensors() throws -> [String: Tensor] {
        ["lstm/kernel": try Tensor.arange([2, 8]) * 0.125 - 1,
         "lstm/bias": Tensor([0.1, -2.5, 1e-8, 3.4e38]),
         "dense/kernel": try Tensor([[0.5], [-0.25]]),
         "scalar": Tensor(3.5)]
    }

    /// LSTMKit's writer produces exactly the committed file that Python reads. Set
    /// LSTMKIT_WRITE_FIXTURES=1 to rewrite it after a deliberate format change.
    func testWriterMatchesTheFileThatPythonReads() throws {
        let data = try SafeTensors.encode(try Self.swiftWrittenTensors(), metadata: ["format": "lstmkit"])
        if ProcessInfo.processInfo.environment["LSTMKIT_WRITE_FIXTURES"] == "1" {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            try data.write(to: source.appendingPathComponent("Fixtures/swift_written.safetensors"))
        }
        XCTAssertEqual(data, try Data(contentsOf: try fixtureURL("swift_written.safetensors")))
        XCTAssertEqual(try SafeTensors.decode(data).tensors, try Self.swiftWrittenTensors(), "round trip is exact")
    }

    func testCorruptFilesThrowReadableErrors() {
        XCTAssertThrowsError(try SafeTensors.decode(Data([1, 2, 3]))) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message, "safetensors data must start with an 8-byte header length, got 3 bytes")
        }
        var d = Data([200, 0, 0, 0, 0, 0, 0, 0]); d.append(contentsOf: [0x7b, 0x7d])
        XCTAssertThrowsError(try SafeTensors.decode(d)) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message, "safetensors header length 200 exceeds the 2 bytes that follow")
        }
        let header = Array(#"{"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,0]}}"#.utf8)
        var hostile = Data([UInt8(header.count), 0, 0, 0, 0, 0, 0, 0])
        hostile.append(contentsOf: header)
        XCTAssertThrowsError(try SafeTensors.decode(hostile)) { error in
            XCTAssertTrue((error as? LSTMKitError)?.message.hasPrefix("safetensors entry 'a' has shape [-4]") == true, "\(error)")
        }
        XCTAssertThrowsError(try Model.load(from: directory.appendingPathComponent("missing"))) { error in
            XCTAssertTrue((error as? LSTMKitError)?.message.contains("expected an LSTMKit model directory written by model.save(to:)") == true)
        }
    }

    func testSequentialRoundTripIsExact() throws {
        LSTMKit.setRandomSeed(3)
        let model = try Sequential([Input(shape: [3, 2]), LSTM(units: 8, activation: .relu, returnSequences: true),
                                    LSTM(units: 4), RepeatVector(3), GRU(units: 5, returnSequences: true),
                                    TimeDistributed(Dense(units: 2))])
        model.compile(optimizer: Adam(learningRate: 0.01), loss: .mse, metrics: [.mae])
        let x = try Tensor.randomUniform([4, 3, 2])
        try model.fit(x, x, epochs: 2, verbose: 0)
        let url = directory.appendingPathComponent("autoencoder")
        try model.save(to: url)
        let loaded = try Model.load(from: url)
        XCTAssertTrue(loaded is Sequential)
        XCTAssertEqual(loaded.layers.map(\.name), model.layers.map(\.name))
        XCTAssertEqual(loaded.getWeights(), model.getWeights(), "weights round-trip bit for bit")
        XCTAssertEqual(try loaded.predict(x, verbose: 0), try model.predict(x, verbose: 0))
        XCTAssertEqual(loaded.summaryTable().rows, model.summaryTable().rows)
        XCTAssertEqual(loaded.loss, .meanSquaredError)
        XCTAssertEqual((loaded.optimizer as? Adam)?.learningRate, 0.01)
        XCTAssertNoThrow(try loaded.fit(x, x, epochs: 1, verbose: 0), "a loaded model can train at once")
    }

    func testWrappersMaskingAndDropoutRoundTrip() throws {
        LSTMKit.setRandomSeed(9)
        let model = try Sequential([Input(shape: [5, 3]), Masking(maskValue: 0), Bidirectional(LSTM(units: 4, returnSequences: true)),
                                    SimpleRNN(units: 3), Dropout(0.2), Dense(units: 2, activation: .softmax)])
        model.compile(optimizer: RMSprop(learningRate: 0.005, momentum: 0.5), loss: .categoricalCrossentropy, metrics: [.accuracy])
        let url = directory.appendingPathComponent("wrappers")
        try model.save(to: url)
        let loaded = try Model.load(from: url)
        XCTAssertEqual(loaded.getWeights(), model.getWeights())
        XCTAssertEqual(loaded.summaryText(), model.summaryText())
        var x = try Tensor.randomUniform([2, 5, 3])
        x.scalars.replaceSubrange(0..<6, with: repeatElement(0, count: 6))  // two masked steps
        XCTAssertEqual(try loaded.predict(x, verbose: 0), try model.predict(x, verbose: 0))
        XCTAssertEqual((loaded.optimizer as? RMSprop)?.momentum, 0.5)
        XCTAssertEqual(loaded.loss, .categoricalCrossentropy)
    }

    func testFunctionalModelWithStatesAndSharedLayersRoundTrips() throws {
        LSTMKit.setRandomSeed(5)
        let encoderIn = Input(shape: [5, 2])
        let encoded = try LSTM(units: 6, returnState: true).callAll([encoderIn])
        let decoderIn = Input(shape: [4, 1])
        let decoderLSTM = LSTM(units: 6, returnSequences: true)
        let decoded = try decoderLSTM.callAll([decoderIn, encoded[1], encoded[2]])
        let out = try TimeDistributed(Dense(units: 1))(decoded[0])
        let model = try Model(inputs: [encoderIn, decoderIn], outputs: [out, encoded[1]])
        let url = directory.appendingPathComponent("seq2seq")
        try model.save(to: url)
        let loaded = try Model.load(from: url)
        let xs = [try Tensor.randomUniform([3, 5, 2]), try Tensor.randomUniform([3, 4, 1])]
        XCTAssertEqual(try loaded.callAll(xs), try model.callAll(xs))
        XCTAssertEqual(loaded.summaryText(), model.summaryText())
        XCTAssertNil(loaded.optimizer, "an uncompiled model loads uncompiled")
    }

    // MARK: Optimizer state

    /// An LSTM regressor trained `epochs` epochs (no shuffling) with `optimizer`, and its data.
    private func trainedRegressor(_ optimizer: Optimizer, epochs: Int = 2) throws -> (Model, Tensor, Tensor) {
        LSTMKit.setRandomSeed(11)
        let model = try Sequential([Input(shape: [4, 3]), LSTM(units: 5, name: "lstm"), Dense(units: 2, name: "dense")])
        model.compile(optimizer: optimizer, loss: .mse)
        let x = try Tensor.randomUniform([10, 4, 3]), y = try Tensor.randomUniform([10, 2])
        if epochs > 0 { try model.fit(x, y, epochs: epochs, batchSize: 4, verbose: 0, shuffle: false) }
        return (model, x, y)
    }

    /// Saving, loading and fitting on gives the same weights and losses, bit for bit, as fitting on.
    private func assertResumesExactly(_ optimizer: Optimizer, file: StaticString = #filePath, line: UInt = #line) throws {
        let (model, x, y) = try trainedRegressor(optimizer)
        let url = directory.appendingPathComponent(optimizer.className)
        try model.save(to: url)
        let loaded = try Model.load(from: url)
        XCTAssertEqual(loaded.optimizer?.iterations, 6, "2 epochs of 3 batches", file: file, line: line)
        XCTAssertEqual(loaded.summaryText(), model.summaryText(), "same Optimizer params line", file: file, line: line)
        XCTAssertTrue(model.summaryText().contains("Optimizer params"), file: file, line: line)
        let original = try model.fit(x, y, epochs: 3, batchSize: 4, verbose: 0, shuffle: false)
        let resumed = try loaded.fit(x, y, epochs: 3, batchSize: 4, verbose: 0, shuffle: false)
        XCTAssertEqual(resumed["loss"], original["loss"], "losses after resuming", file: file, line: line)
        XCTAssertEqual(loaded.getWeights(), model.getWeights(), "weights after resuming", file: file, line: line)
        XCTAssertEqual(loaded.optimizer?.iterations, 15, file: file, line: line)
    }

    func testAdamResumesExactlyAfterSaveAndLoad() throws {
        try assertResumesExactly(Adam(learningRate: 0.01))
    }

    func testSGDWithMomentumResumesExactlyAfterSaveAndLoad() throws {
        try assertResumesExactly(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true))
    }

    func testRMSpropResumesExactlyAfterSaveAndLoad() throws {
        try assertResumesExactly(RMSprop(learningRate: 0.01, momentum: 0.5, centered: true))
    }

    /// With shuffling, the same seed before each continuation gives the same batches, so the same result;
    /// a fresh optimizer (the old behaviour) would not.
    func testResumingWithShuffleAndTheSameSeedIsExactAndNeedsTheSavedState() throws {
        let (model, x, y) = try trainedRegressor(Adam(learningRate: 0.01))
        let url = directory.appendingPathComponent("shuffled")
        try model.save(to: url)
        let loaded = try Model.load(from: url), fresh = try Model.load(from: url)
        fresh.optimizer?.reset()
        LSTMKit.setRandomSeed(21)
        try model.fit(x, y, epochs: 2, batchSize: 4, verbose: 0)
        LSTMKit.setRandomSeed(21)
        try loaded.fit(x, y, epochs: 2, batchSize: 4, verbose: 0)
        LSTMKit.setRandomSeed(21)
        try fresh.fit(x, y, epochs: 2, batchSize: 4, verbose: 0)
        XCTAssertEqual(loaded.getWeights(), model.getWeights())
        XCTAssertNotEqual(fresh.getWeights(), model.getWeights(), "the saved state matters")
    }

    func testOptimizerStateIsStoredUnderNamespacedKeys() throws {
        let (model, _, _) = try trainedRegressor(Adam())
        let url = directory.appendingPathComponent("keys")
        try model.save(to: url)
        let (tensors, metadata) = try SafeTensors.read(from: url.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(metadata["optimizer/iterations"], "6")
        let weights = ["lstm/kernel", "lstm/recurrent_kernel", "lstm/bias", "dense/kernel", "dense/bias"]
        XCTAssertEqual(Set(tensors.keys), Set(weights + weights.flatMap { ["optimizer/adam/m/\($0)", "optimizer/adam/v/\($0)"] }))
        XCTAssertEqual(tensors["optimizer/adam/v/lstm/kernel"]?.shape, tensors["lstm/kernel"]?.shape)
    }

    func testOptimizerStateThatDoesNotFitTheArchitectureThrows() throws {
        let (model, _, _) = try trainedRegressor(Adam())
        let url = directory.appendingPathComponent("mismatch")
        try model.save(to: url)
        let file = url.appendingPathComponent("model.safetensors")
        let (tensors, metadata) = try SafeTensors.read(from: file)

        var missing = tensors
        missing["optimizer/adam/v/dense/bias"] = nil
        try SafeTensors.write(missing, to: file, metadata: metadata)
        XCTAssertThrowsError(try Model.load(from: url)) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message,
                           "\(url.path): optimizer state does not match the architecture and the Adam optimizer: expected 10 arrays ('optimizer/adam/m/dense/bias', 'optimizer/adam/m/dense/kernel', 'optimizer/adam/m/lstm/bias', … 7 more), given 9 ('optimizer/adam/m/dense/bias', 'optimizer/adam/m/dense/kernel', 'optimizer/adam/m/lstm/bias', … 6 more); missing 'optimizer/adam/v/dense/bias'")
        }

        var reshaped = tensors
        reshaped["optimizer/adam/m/dense/kernel"] = try Tensor.zeros([2, 5])
        try SafeTensors.write(reshaped, to: file, metadata: metadata)
        XCTAssertThrowsError(try Model.load(from: url)) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message,
                           "\(url.path): optimizer array 'optimizer/adam/m/dense/kernel' expects shape (5, 2), given (2, 5)")
        }

        var stray = tensors
        stray["optimizer/sgd/momentum/dense/bias"] = try Tensor.zeros([2])
        try SafeTensors.write(stray, to: file, metadata: metadata)
        XCTAssertThrowsError(try Model.load(from: url)) { error in
            XCTAssertTrue((error as? LSTMKitError)?.message.hasSuffix("; unexpected 'optimizer/sgd/momentum/dense/bias'") == true, "\(error)")
        }
    }

    /// A model saved right after compile (no optimizer state, as every save before this format had) loads
    /// with a fresh optimizer and trains exactly like the original.
    func testModelSavedBeforeTrainingLoadsWithAFreshOptimizer() throws {
        let (model, x, y) = try trainedRegressor(RMSprop(momentum: 0.5), epochs: 0)
        let url = directory.appendingPathComponent("untrained")
        try model.save(to: url)
        let (tensors, metadata) = try SafeTensors.read(from: url.appendingPathComponent("model.safetensors"))
        XCTAssertFalse(tensors.keys.contains { $0.hasPrefix("optimizer/") })
        XCTAssertNil(metadata["optimizer/iterations"])
        let loaded = try Model.load(from: url)
        XCTAssertEqual(loaded.optimizer?.iterations, 0)
        XCTAssertEqual(loaded.optimizer?.isBuilt, false)
        XCTAssertEqual(loaded.summaryText(), model.summaryText())
        XCTAssertFalse(loaded.summaryText().contains("Optimizer params"))
        let original = try model.fit(x, y, epochs: 2, batchSize: 4, verbose: 0, shuffle: false)
        let resumed = try loaded.fit(x, y, epochs: 2, batchSize: 4, verbose: 0, shuffle: false)
        XCTAssertEqual(resumed["loss"], original["loss"])
        XCTAssertEqual(loaded.getWeights(), model.getWeights())
    }
}
