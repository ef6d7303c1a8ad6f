import Foundation
import XCTest
@testable import LSTMKit
import TestSupport

/// `summary()` text must equal Keras 3's, character for character (tools/fixtures/fixtures_summary.py).
final class SummaryTests: XCTestCase {
    struct Case: Decodable {
        let name: String
        let totalParams: Int
        let text: String
    }

    struct File: Decodable { let cases: [Case] }

    func expected(_ name: String) throws -> Case {
        let file = try loadFixture("summary.json", as: File.self)
        return try XCTUnwrap(file.cases.first { $0.name == name }, "no summary fixture \(name)")
    }

    /// Compares line by line so a failure shows the first differing line.
    func assertSameText(_ got: String, _ want: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        if got == want { return }
        let g = got.components(separatedBy: "\n"), w = want.components(separatedBy: "\n")
        for i in 0..<max(g.count, w.count) where (i < g.count ? g[i] : "<none>") != (i < w.count ? w[i] : "<none>") {
            XCTFail("\(what): line \(i + 1) differs\n got: \(i < g.count ? g[i] : "<none>")\nwant: \(i < w.count ? w[i] : "<none>")",
                    file: file, line: line)
            return
        }
    }

    override func setUp() { LSTMKit.clearSession() }

    func testAutoencoderSummaryMatchesKeras() throws {
        let model = try TutorialModels.autoencoder()
        XCTAssertEqual(model.countParams(), 248_578)
        assertSameText(model.summaryText(), try expected("autoencoder").text, "autoencoder")
    }

    func testTimeDistributedTutorialSummariesMatchKeras() throws {
        let oneToOne = try TutorialModels.oneToOne()
        assertSameText(oneToOne.summaryText(), try expected("one_to_one").text, "one-to-one (140 + 6)")
        let manyToOne = try TutorialModels.manyToOne()
        assertSameText(manyToOne.summaryText(), try expected("many_to_one").text, "many-to-one (140 + 30)")
        let manyToMany = try TutorialModels.manyToMany()
        assertSameText(manyToMany.summaryText(), try expected("many_to_many").text, "many-to-many (140 + 6)")
        XCTAssertEqual([oneToOne, manyToOne, manyToMany].map { $0.countParams() }, [146, 170, 146])
    }

    func testFunctionalSummariesMatchKeras() throws {
        let input = Input(shape: [3, 1])
        let outs = try LSTM(units: 4, returnState: true).callAll([input])
        let stateModel = try Model(inputs: [input], outputs: outs)
        assertSameText(stateModel.summaryText(), try expected("return_state").text, "return_state model")

        LSTMKit.clearSession()
        let encoderIn = Input(shape: [5, 2])
        let encoded = try LSTM(units: 8, returnState: true).callAll([encoderIn])
        let decoderIn = Input(shape: [4, 1])
        let decoded = try LSTM(units: 8, returnSequences: true).callAll([decoderIn, encoded[1], encoded[2]])
        let out = try TimeDistributed(Dense(units: 1))(decoded[0])
        let encoderDecoder = try Model(inputs: [encoderIn, decoderIn], outputs: [out])
        assertSameText(encoderDecoder.summaryText(), try expected("encoder_decoder").text, "encoder-decoder (Connected to)")
    }

    func testMaskingBidirectionalGRUSummaryMatchesKeras() throws {
        let model = try Sequential([Input(shape: [6, 3]), Masking(maskValue: 0),
                                    Bidirectional(LSTM(units: 4, returnSequences: true)), GRU(units: 5),
                                    Dense(units: 3), Dropout(0.1)])
        assertSameText(model.summaryText(), try expected("bidirectional_gru").text, "masking/bidirectional/gru")
    }

    func testOptimizerParamsAppearAfterTraining() throws {
        let x = try Tensor.zeros([5, 1, 1]), y = try Tensor.zeros([5, 1])
        for (name, optimizer) in [("adam", Adam()), ("sgd", SGD()), ("sgd_momentum", SGD(momentum: 0.9)),
                                  ("rmsprop", RMSprop())] as [(String, Optimizer)] {
            LSTMKit.clearSession()
            let model = try Sequential([Input(shape: [1, 1]), LSTM(units: 5), Dense(units: 1)])
            model.compile(optimizer: optimizer, loss: .mse)
            XCTAssertNil(model.summaryTable().optimizerParams, "no optimizer line before training")
            try model.fit(x, y, epochs: 1, verbose: 0)
            assertSameText(model.summaryText(), try expected("one_to_one_trained_\(name)").text, "after training with \(name)")
        }
    }

    func testOtherLineLengthsMatchKeras() throws {
        for width in [60, 100, 120] {
            LSTMKit.clearSession()
            assertSameText(try TutorialModels.autoencoder().summaryText(lineLength: width), try expected("autoencoder_width\(width)").text,
                           "autoencoder at \(width) columns")
            LSTMKit.clearSession()
            let encoderIn = Input(shape: [5, 2])
            let encoded = try LSTM(units: 8, returnState: true).callAll([encoderIn])
            let decoderIn = Input(shape: [4, 1])
            let decoded = try LSTM(units: 8, returnSequences: true).callAll([decoderIn, encoded[1], encoded[2]])
            let model = try Model(inputs: [encoderIn, decoderIn], outputs: [try TimeDistributed(Dense(units: 1))(decoded[0])])
            assertSameText(model.summaryText(lineLength: width), try expected("encoder_decoder_width\(width)").text,
                           "encoder-decoder at \(width) columns")
        }
    }

    func testUnbuiltSequentialSummaryMatchesKeras() throws {
        let model = try Sequential([LSTM(units: 5), Dense(units: 1)])
        assertSameText(model.summaryText(), try expected("unbuilt").text, "a Sequential without input shape")
    }

    func testTableDataForDisplays() throws {
        let table = try TutorialModels.autoencoder().summaryTable()
        XCTAssertEqual(table.rows.map(\.name), ["lstm", "lstm_1", "repeat_vector", "lstm_2", "lstm_3", "time_distributed"])
        XCTAssertEqual(table.rows.map(\.params), [67_072, 49_408, 0, 33_024, 98_816, 258])
        XCTAssertEqual(table.rows[0].outputShape, "(None, 3, 128)")
        XCTAssertEqual(table.totals.map(\.value), ["248,578 (971.01 KB)", "248,578 (971.01 KB)", "0 (0.00 B)"])
        XCTAssertEqual(table.headers, ["Layer (type)", "Output Shape", "Param #"])
    }

    func testNumberFormatting() {
        XCTAssertEqual(ModelSummary.grouped(1_234_567), "1,234,567")
        XCTAssertEqual(ModelSummary.grouped(999), "999")
        XCTAssertEqual(ModelSummary.readableSize(bytes: 994_312), "971.01 KB")
        XCTAssertEqual(ModelSummary.readableSize(bytes: 3 * 1024 * 1024), "3.00 MB")
    }
}
