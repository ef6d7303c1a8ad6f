import Foundation
import XCTest
@testable import LSTMKit

/// Models called inside models: the forms Keras accepts (arrays where Keras takes lists, positional
/// arguments) and the nested model as one row of `summary()`, byte for byte as Keras 3 prints it
/// (tools/fixtures/fixtures_summary.py: nested_*).
final class NestedModelTests: XCTestCase {
    override func setUp() { LSTMKit.clearSession() }

    private func expected(_ name: String) throws -> String {
        let file = try loadFixture("summary.json", as: SummaryTests.File.self)
        return try XCTUnwrap(file.cases.first { $0.name == name }, "no summary fixture \(name)").text
    }

    /// Seed 001's encoder and decoder, joined the way the seed writes it.
    private func encoderAndDecoder() throws -> (encoder: Model, decoder: Model) {
        let inp = Input(shape: [3, 2])
        let encoder = try Model(inputs: inp, outputs: LSTM(units: 16, activation: .relu)(inp))
        let code = Input(shape: [16])
        let x = try LSTM(units: 16, activation: .relu, returnSequences: true)(RepeatVector(3)(code))
        let decoder = try Model(inputs: code, outputs: TimeDistributed(Dense(units: 2))(x))
        return (encoder, decoder)
    }

    func testSeed001FormWrittenLiterallyBuildsTheAutoencoder() throws {
        let (encoder, decoder) = try encoderAndDecoder()
        // Exactly the seed's line: arrays of symbolic tensors where Keras takes lists, no labels.
        let model = try Model(encoder.inputs, decoder(encoder(encoder.inputs)))
        XCTAssertEqual(model.inputShapes, [[nil, 3, 2]])
        XCTAssertEqual(model.outputShapes, [[nil, 3, 2]])
        XCTAssertEqual(model.countParams(), encoder.countParams() + decoder.countParams())
        // Weights are shared: the joined model computes decoder(encoder(x)).
        let x = try Tensor(shape: [2, 3, 2], scalars: (0..<12).map { Float($0) / 12 })
        XCTAssertEqual(try model(x).scalars, try decoder(encoder(x)).scalars)
        XCTAssertEqual(try model([x]).scalars, try model(x).scalars)
    }

    func testPositionalAndArrayFormsMatchTheLabelledOnes() throws {
        let a = Input(shape: [4, 1]), b = Input(shape: [4, 1])
        let lstm = LSTM(units: 3, returnState: true)
        let outs = try lstm.callAll(a)
        XCTAssertEqual(try Model(a, outs[0]).outputShapes, [[nil, 3]])
        XCTAssertEqual(try Model(a, outs).outputShapes.count, 3)
        XCTAssertEqual(try Model([a], outs[0]).inputShapes, [[nil, 4, 1]])
        XCTAssertEqual(try Model([a], [outs[1], outs[2]], name: "states").name, "states")
        let multi = try Model(a, outs)
        XCTAssertThrowsError(try multi([a])) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message,
                           "model 'functional_3' has 3 outputs; call it with callAll(_:) to get all of them, got a call expecting one")
        }
        XCTAssertEqual(try multi.callAll([b]).count, 3)
    }

    func testNestedEncoderAndDecoderAreOneRowEachLikeKeras() throws {
        let (encoder, decoder) = try encoderAndDecoder()
        let model = try Model(encoder.inputs, decoder(encoder(encoder.inputs)))
        XCTAssertEqual(model.summaryText(), try expected("nested_encoder_decoder"))
        XCTAssertEqual(model.summaryTable().rows.map(\.layerCell),
                       ["input_layer (InputLayer)", "functional (Functional)", "functional_1 (Functional)"])
        // The nested models' own summaries still list their layers.
        XCTAssertEqual(encoder.summaryTable().rows.map(\.className), ["InputLayer", "LSTM"])
    }

    func testSequentialCalledTwiceShowsItsCallsInConnectedTo() throws {
        let head = try Sequential([Input(shape: [3, 4]), LSTM(units: 4, returnSequences: true)])
        let tail = try Sequential([Input(shape: [3, 4]), LSTM(units: 2), Dense(units: 1)])
        let inp = Input(shape: [3, 4])
        let model = try Model(inp, tail(head(head(inp))))
        XCTAssertEqual(model.summaryText(), try expected("nested_sequential"))
    }

    func testNestedModelWithTwoOutputsFeedingInitialStates() throws {
        let inp = Input(shape: [5, 2])
        let states = try LSTM(units: 4, returnState: true).callAll(inp)
        let encoder = try Model(inp, [states[1], states[2]], name: "encoder")
        let encoderIn = Input(shape: [5, 2]), decoderIn = Input(shape: [3, 1])
        let hc = try encoder.callAll([encoderIn])
        let decoded = try LSTM(units: 4, returnSequences: true).callAll([decoderIn.symbolicTensor] + hc)
        let model = try Model([encoderIn, decoderIn], TimeDistributed(Dense(units: 1))(decoded[0]))
        XCTAssertEqual(model.summaryText(), try expected("nested_states"))
    }
}
