import Foundation
import XCTest
@testable import LSTMKit

/// Metrics and per-output losses of multi-output models, named and computed as Keras 3 does
/// (tools/fixtures/fixtures_multi_output.py): flat list (one per output), list of lists, dict by output name.
final class MultiOutputMetricsTests: XCTestCase {
    /// A `metrics` argument as the generator wrote it: a list of names, a list of lists, or a dict.
    enum Metrics: Decodable {
        case flat([String]), nested([[String]]), byName([String: [String]])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let f = try? c.decode([String].self) { self = .flat(f) }
            else if let n = try? c.decode([[String]].self) { self = .nested(n) }
            else { self = .byName(try c.decode([String: [String]].self)) }
        }
    }

    struct Run: Decodable {
        let name: String
        let metrics: Metrics
        let history: [String: [Double]]
        let evaluate: [String: Double]
    }

    struct KerasError: Decodable {
        let metrics: [String]
        let message: String?
    }

    struct File: Decodable {
        let startWeights: [FixtureTensor]
        let x: FixtureTensor
        let ya: FixtureTensor
        let yb: FixtureTensor
        let runs: [Run]
        let errors: [KerasError]
    }

    override func setUp() { LSTMKit.clearSession() }

    func makeModel(_ file: File) throws -> Model {
        let input = Input(shape: [4, 3])
        let h = try LSTM(units: 5)(input)
        let model = try Model(inputs: input, outputs: [try Dense(units: 2, name: "a")(h), try Dense(units: 1, name: "b")(h)])
        try model.setWeights(file.startWeights.map(\.tensor))
        return model
    }

    func compile(_ model: Model, _ metrics: Metrics) throws {
        switch metrics {
        case .flat(let names): try model.compile(optimizer: Adam(learningRate: 0.01), loss: "mse", metrics: names)
        case .nested(let lists): try model.compile(optimizer: Adam(learningRate: 0.01), loss: "mse", metrics: lists)
        case .byName(let dict): try model.compile(optimizer: Adam(learningRate: 0.01), loss: "mse", metrics: dict)
        }
    }

    func testHistoriesAndEvaluateMatchKeras() throws {
        let file = try loadFixture("multi_output.json", as: File.self)
        XCTAssertEqual(file.runs.map(\.name), ["flat_one_per_output", "list_of_lists", "dict_by_name", "no_metrics"])
        for run in file.runs {
            LSTMKit.clearSession()
            let model = try makeModel(file)
            try compile(model, run.metrics)
            let history = try model.fit([file.x.tensor], [file.ya.tensor, file.yb.tensor], epochs: 2, batchSize: 4, verbose: 0,
                                        validationSplit: 0.3, shuffle: false)
            XCTAssertEqual(Set(history.keys), Set(run.history.keys), run.name)
            for (key, values) in run.history {
                guard let got = history[key] else { continue }
                for (epoch, v) in values.enumerated() { assertClose(got[epoch], v, "\(run.name) \(key) epoch \(epoch)") }
            }
            let logs = try model.evaluate([file.x.tensor], [file.ya.tensor, file.yb.tensor], verbose: 0)
            XCTAssertEqual(Set(logs.names), Set(run.evaluate.keys), run.name)
            for (key, v) in run.evaluate { assertClose(logs[key] ?? .nan, v, "\(run.name) evaluate \(key)") }
            XCTAssertEqual(logs.names.first, "loss")
        }
    }

    func testFlatListOfTheWrongLengthThrowsKerasMessage() throws {
        let file = try loadFixture("multi_output.json", as: File.self)
        for e in file.errors {
            LSTMKit.clearSession()
            let model = try makeModel(file)
            try model.compile(optimizer: "adam", loss: "mse", metrics: e.metrics)
            let keras = try XCTUnwrap(e.message)
            // Keras's text after its first line (a Python tree-structure detail).
            let kerasPart = keras.components(separatedBy: "\n").dropFirst().joined(separator: "\n")
            XCTAssertThrowsError(try model.fit([file.x.tensor], [file.ya.tensor, file.yb.tensor], epochs: 1, verbose: 0)) { error in
                let message = (error as? LSTMKitError)?.message ?? "\(error)"
                XCTAssertTrue(message.hasSuffix(kerasPart), "got: \(message)\nwant suffix: \(kerasPart)")
                XCTAssertTrue(message.hasPrefix("model 'functional' has 2 outputs (a, b): a flat metrics list needs one metric per output (2), got \(e.metrics.count)"), message)
            }
            XCTAssertThrowsError(try model.evaluate([file.x.tensor], [file.ya.tensor, file.yb.tensor], verbose: 0))
            XCTAssertThrowsError(try model.trainOnBatch([file.x.tensor], [file.ya.tensor, file.yb.tensor]))
        }
    }

    func testOtherMismatchesAndSingleOutputNames() throws {
        let file = try loadFixture("multi_output.json", as: File.self)
        let model = try makeModel(file)
        model.compile(loss: .mse, metrics: ["c": [.mae]])
        XCTAssertThrowsError(try model.evaluate([file.x.tensor], [file.ya.tensor, file.yb.tensor], verbose: 0)) { error in
            XCTAssertTrue("\(error)".contains("no output is named 'c'"), "\(error)")
            XCTAssertTrue("\(error)".hasSuffix("Received: metrics={'c': ['mae']}"), "\(error)")
        }
        model.compile(loss: .mse, metrics: [[.mae]])
        XCTAssertThrowsError(try model.evaluate([file.x.tensor], [file.ya.tensor, file.yb.tensor], verbose: 0)) { error in
            XCTAssertTrue("\(error)".contains("expected 2 metric lists (one per output), got 1"), "\(error)")
        }
        model.compile(loss: .mse, metrics: [])
        XCTAssertEqual(try model.evaluate([file.x.tensor], [file.ya.tensor, file.yb.tensor], verbose: 0).names, ["loss", "a_loss", "b_loss"])

        // Single output: plain names, whichever form.
        let single = try Sequential([Input(shape: [2]), Dense(units: 1, name: "out")])
        let x = try Tensor.randomUniform([4, 2]), y = try Tensor.randomUniform([4, 1])
        single.compile(loss: .mse, metrics: [.mae, .mse])
        XCTAssertEqual(try single.evaluate(x, y, verbose: 0).names, ["loss", "mae", "mse"])
        single.compile(loss: .mse, metrics: ["out": [.mae]])
        XCTAssertEqual(try single.evaluate(x, y, verbose: 0).names, ["loss", "mae"])
        single.compile(loss: .mse, metrics: [[.mse]])
        XCTAssertEqual(try single.evaluate(x, y, verbose: 0).names, ["loss", "mse"])
        XCTAssertEqual(model.outputNames, ["a", "b"])
        // A Sequential not built yet is named by its last layer, like Keras's output_names.
        let unbuilt = try Sequential([LSTM(units: 2), Dense(units: 1, name: "head")])
        XCTAssertEqual(unbuilt.outputNames, ["head"])
        unbuilt.compile(loss: .mse, metrics: ["head": [.mae]])
        XCTAssertEqual(try unbuilt.fit(try Tensor.randomUniform([4, 3, 2]), y, epochs: 1, verbose: 0).keys, ["loss", "mae"])
    }

    func testPerOutputMetricsSurviveSaveAndLoad() throws {
        let file = try loadFixture("multi_output.json", as: File.self)
        let model = try makeModel(file)
        try model.compile(optimizer: "adam", loss: "mse", metrics: [["mae"], ["mse", "mae"]])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("multi-metrics-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url)
        let loaded = try Model.load(from: url)
        let logs = try loaded.evaluate([file.x.tensor], [file.ya.tensor, file.yb.tensor], verbose: 0)
        XCTAssertEqual(logs.names, ["loss", "a_loss", "a_mae", "b_loss", "b_mse", "b_mae"])
        let model2 = try makeModel(file)
        model2.compile(loss: .mse, metrics: ["b": [.mse]])
        try model2.save(to: url)
        XCTAssertEqual(try Model.load(from: url).evaluate([file.x.tensor], [file.ya.tensor, file.yb.tensor], verbose: 0).names,
                       ["loss", "a_loss", "b_loss", "b_mse"])
    }
}
