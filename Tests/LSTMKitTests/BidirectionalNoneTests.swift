import Foundation
import XCTest
@testable import LSTMKit

/// `Bidirectional(layer, mergeMode: nil)` (Keras's merge_mode=None): forward and backward outputs kept
/// separate, checked against real Keras 3 (tools/fixtures/fixtures_bidirectional.py) and by finite differences.
final class BidirectionalNoneTests: XCTestCase {
    struct Case: Decodable {
        let name: String
        let kind: String
        let units: Int
        let returnSequences: Bool
        let returnState: Bool
        let masked: Bool
        let weights: [FixtureTensor]
        let x: FixtureTensor
        let outputs: [FixtureTensor]
        let summary: String
        let mergeMode: String?
        let targets: [FixtureTensor]
        let trainLosses: [Double]
        let weightsAfter: [FixtureTensor]
    }

    struct File: Decodable { let cases: [Case] }

    override func setUp() { LSTMKit.clearSession() }

    func recurrent(_ c: Case) -> Recurrent {
        switch c.kind {
        case "LSTM": return LSTM(units: c.units, returnSequences: c.returnSequences, returnState: c.returnState)
        case "GRU": return GRU(units: c.units, returnSequences: c.returnSequences, returnState: c.returnState)
        default: return SimpleRNN(units: c.units, returnSequences: c.returnSequences, returnState: c.returnState)
        }
    }

    func testSeparateOutputsTrainingAndSummaryMatchKeras() throws {
        let file = try loadFixture("bidirectional_none.json", as: File.self)
        XCTAssertEqual(file.cases.map(\.name), ["lstm_sequences_state", "gru_last_masked", "simple_rnn_sequences_masked"])
        for c in file.cases {
            LSTMKit.clearSession()
            XCTAssertNil(c.mergeMode, "Keras saves merge_mode None as null")
            let input = Input(shape: [4, 3])
            let wrapper = Bidirectional(recurrent(c), mergeMode: nil)
            let outs = try wrapper.callAll(c.masked ? try Masking(maskValue: 0)(input) : input.symbolicTensor)
            XCTAssertEqual(outs.count, c.outputs.count, c.name)
            let model = try Model(inputs: input, outputs: outs)
            try model.setWeights(c.weights.map(\.tensor))
            let got = try model.predictAll([c.x.tensor], verbose: 0)
            for (i, (g, e)) in zip(got, c.outputs).enumerated() { assertClose(g, e.tensor, "\(c.name) output \(i)") }
            if !c.masked {
                // Keras's functional summary of a masked model also lists its NotEqual/Any mask ops; compare unmasked only.
                XCTAssertEqual(model.summaryText(), c.summary, c.name)
            }
            let train = try Model(inputs: input, outputs: Array(outs.prefix(2)))
            train.compile(optimizer: SGD(learningRate: 0.1), loss: .mse)
            let loss = try train.trainOnBatch([c.x.tensor], c.targets.map(\.tensor))
            assertClose(loss, c.trainLosses[0], "\(c.name) loss")
            for (i, (g, e)) in zip(train.getWeights(), c.weightsAfter).enumerated() {
                assertClose(g, e.tensor, rtol: 1e-5, atol: 1e-6, "\(c.name) weight \(i) after one SGD step")
            }
        }
    }

    func testShapesConfigAndSaveLoadRoundTrip() throws {
        let input = Input(shape: [5, 2])
        let bi = Bidirectional(GRU(units: 3, returnSequences: true, returnState: true), mergeMode: nil, name: "bi")
        let outs = try bi.callAll(input)
        XCTAssertEqual(outs.map(\.shape), [[nil, 5, 3], [nil, 5, 3], [nil, 3], [nil, 3]])
        XCTAssertEqual(bi.config.values["merge_mode"], ConfigValue.null)
        let json = try JSONEncoder().encode(bi.config)
        XCTAssertTrue(String(decoding: json, as: UTF8.self).contains("\"merge_mode\":null"))
        let rebuilt = try XCTUnwrap(try LayerRegistry.makeLayer(try JSONDecoder().decode(LayerConfig.self, from: json)) as? Bidirectional)
        XCTAssertNil(rebuilt.mergeMode)
        XCTAssertEqual(rebuilt.config, bi.config)
        // An absent merge_mode is Keras's default, concat.
        var c = bi.config; c.values["merge_mode"] = nil
        XCTAssertEqual((try LayerRegistry.makeLayer(c) as? Bidirectional)?.mergeMode, .concat)
        c.values["merge_mode"] = .string("max")
        XCTAssertThrowsError(try LayerRegistry.makeLayer(c)) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "Bidirectional merge_mode must be concat, sum, mul, ave or null, got 'max'")
        }

        let model = try Model(inputs: input, outputs: outs)
        XCTAssertEqual(bi.outputShapes, [[nil, 5, 3], [nil, 5, 3], [nil, 3], [nil, 3]], "what summary() prints")
        model.compile(optimizer: Adam(learningRate: 0.01), loss: .mse)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bi-none-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url)
        let loaded = try Model.load(from: url)
        XCTAssertEqual(loaded.outputShapes, model.outputShapes)
        XCTAssertNil((try loaded.layer(named: "bi") as? Bidirectional)?.mergeMode)
        let x = try Tensor.randomUniform([2, 5, 2])
        XCTAssertEqual(try loaded.predictAll([x], verbose: 0), try model.predictAll([x], verbose: 0))
    }

    func testSeparateOutputsGradients() throws {
        let checker = GradientChecker()
        for (layer, masked) in [(LSTM(units: 2, returnSequences: true, returnState: true) as Recurrent, false),
                                (GRU(units: 2), false), (SimpleRNN(units: 2, returnSequences: true), true)] {
            LSTMKit.setRandomSeed(17)
            let input = Input(shape: [4, 2])
            let h: SymbolicTensor = masked ? try Masking(maskValue: 0)(input) : input.symbolicTensor
            let model = try Model(inputs: input, outputs: try Bidirectional(layer, mergeMode: nil).callAll(h))
            var x = try Tensor.randomUniform([2, 4, 2], low: 0.1, high: 1)
            if masked { x.scalars[0] = 0; x.scalars[1] = 0 }
            try checker.check(model, [x], checkInputs: !masked)
        }
    }

    /// Initial states for both directions (forward h, c then backward h, c) reach the right direction.
    func testSeparateOutputsWithInitialStates() throws {
        LSTMKit.setRandomSeed(23)
        let x = Input(shape: [3, 2])
        let states = (0..<4).map { _ in Input(shape: [2]) }
        let outs = try Bidirectional(LSTM(units: 2, returnSequences: true, returnState: true), mergeMode: nil).callAll([x] + states)
        XCTAssertEqual(outs.map(\.shape), [[nil, 3, 2], [nil, 3, 2], [nil, 2], [nil, 2], [nil, 2], [nil, 2]])
        let m = try Model(inputs: [x] + states, outputs: outs)
        try GradientChecker().check(m, [try Tensor.randomUniform([2, 3, 2], low: -1, high: 1)] + (0..<4).map { _ in try Tensor.randomUniform([2, 2], low: -1, high: 1) })
    }

    func testSequentialRejectsTheTwoOutputs() throws {
        XCTAssertThrowsError(try Sequential([Input(shape: [3, 2]), Bidirectional(LSTM(units: 2), mergeMode: nil, name: "bi")])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message,
                           "Sequential 'sequential': every layer must have one output, but Bidirectional 'bi' has 2 (use a functional Model for returnState)")
        }
    }
}
