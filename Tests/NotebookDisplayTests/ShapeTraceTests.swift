import Foundation
import XCTest
import LSTMKit
import NotebookDisplay
import TestSupport

final class ShapeTraceTests: XCTestCase {
    func testAutoencoderDataFlowAndEncodedVector() throws {
        let model = try TutorialModels.autoencoder()
        let x = try TutorialModels.temporalizedSeries()
        let trace = try traceShapes(model, x[0])
        XCTAssertEqual(trace.dataFlow.flowText, "3x2 → 3x128 → 64 → 3x64 → 3x64 → 3x128 → 3x2")
        XCTAssertEqual(trace.steps.filter(\.isEncoding).map(\.layerName), ["lstm_1"])
        XCTAssertEqual(trace.steps[0].firstValues, [0.1, 0.001, 0.2, 0.008], "the input row is the sample itself")
        XCTAssertTrue(trace.text.contains("lstm_1 (LSTM)"))
        XCTAssertTrue(trace.text.contains("← encoded vector"))
        let svg = trace.dataFlow.svg
        assertWellFormedSVG(svg)
        XCTAssertTrue(svgTexts(svg).contains("encoded vector"))
        XCTAssertTrue(svgTexts(svg).contains("3×128"))
        assertGolden(svg, named: "trace_autoencoder_dataflow.svg")
        // A batch traces its first sample; the model method gives the same result.
        XCTAssertEqual(try model.traceShapes(x).steps, trace.steps)
    }

    func testRegularNetworkHasNoEncodedVector() throws {
        LSTMKit.clearSession()
        let model = try Sequential([
            LSTM(units: 8, returnSequences: true, inputShape: [3, 2]),
            TimeDistributed(Dense(units: 2)),
        ])
        let trace = try traceShapes(model, try Tensor.zeros([3, 2]))
        XCTAssertEqual(trace.dataFlow.flowText, "3x2 → 3x8 → 3x2")
        XCTAssertFalse(trace.steps.contains(where: \.isEncoding))
    }

    func testFunctionalModelWithSeveralInputs() throws {
        let model = try TutorialModels.encoderDecoder()
        let trace = try traceShapes(model, samples: [try Tensor.zeros([5, 1]), try Tensor.zeros([4, 1])])
        let lstm = try XCTUnwrap(trace.steps.first { $0.layerName == "lstm" })
        XCTAssertEqual(lstm.outputShapes, [[16], [16], [16]], "output, state_h, state_c")
        let decoder = try XCTUnwrap(trace.steps.first { $0.layerName == "lstm_1" })
        XCTAssertEqual(decoder.inputShapes, [[4, 1], [16], [16]])
        XCTAssertEqual(trace.steps.last?.outputShapes, [[4, 1]])
    }

    func testWrongSampleShapeIsAClearError() throws {
        let model = try TutorialModels.autoencoder()
        XCTAssertThrowsError(try traceShapes(model, try Tensor.zeros([7]))) { error in
            XCTAssertTrue("\(error)".contains("expected one sample of shape (3, 2) or a batch (None, 3, 2), got (7,)"), "\(error)")
        }
        XCTAssertThrowsError(try traceShapes(model, try Tensor.zeros([3, 2]), highlight: "nope")) { error in
            XCTAssertTrue("\(error)".contains("no layer named 'nope'"))
        }
    }

    func testUnrolledDiagramFromTheActualLayer() throws {
        LSTMKit.clearSession()
        let lastOnly = LSTM(units: 64, activation: .relu)
        _ = try Sequential([LSTM(units: 128, activation: .relu, returnSequences: true, inputShape: [3, 2]), lastOnly])
        let diagram = try lastOnly.unrolledDiagram()
        XCTAssertEqual(diagram.timesteps, 3)
        XCTAssertEqual(diagram.outputShapeText, "(None, 64)")
        let svg = diagram.svg
        assertWellFormedSVG(svg)
        XCTAssertEqual(svg.components(separatedBy: "fill=\"#fde3d0\"").count - 1, 1, "only the last step emits")
        var everyStep = diagram
        everyStep.returnSequences = true
        XCTAssertEqual(everyStep.svg.components(separatedBy: "fill=\"#fde3d0\"").count - 1, 3, "every step emits")
        XCTAssertThrowsError(try LSTM(units: 4).unrolledDiagram()) { error in
            XCTAssertTrue("\(error)".contains("pass timesteps:"))
        }
        XCTAssertEqual(try unrolledDiagram(lastOnly as Layer).units, 64)
        XCTAssertThrowsError(try unrolledDiagram(Dense(units: 3, name: "head"))) { error in
            XCTAssertTrue("\(error)".contains("expected a recurrent layer (LSTM, GRU, SimpleRNN, Bidirectional), got Dense 'head'"))
        }
        let comparison = try UnrolledRNNDiagram.returnSequencesComparison(units: 64, timesteps: 3, inputFeatures: 2)
        assertWellFormedSVG(comparison.source)
        assertGolden(comparison.source, named: "unrolled_return_sequences.svg")
    }

    /// `model.layers[i]` is a `Layer`: its diagram needs no cast, for every recurrent kind.
    func testAnyModelLayerDrawsWithoutACast() throws {
        LSTMKit.clearSession()
        let model = try Sequential([
            Bidirectional(LSTM(units: 8, returnSequences: true), inputShape: [5, 2], name: "both_ways"),
            GRU(units: 6, returnSequences: true), SimpleRNN(units: 4), Dense(units: 1, name: "head"),
        ])
        let layers: [Layer] = model.layers
        let both = try layers[0].unrolledDiagram()
        XCTAssertEqual(both.timesteps, 5)
        XCTAssertEqual(both.outputShapeText, "(None, 5, 16)", "concat doubles the units")
        XCTAssertEqual(both.signature, "Bidirectional(LSTM(8, return_sequences=True), merge_mode=concat)")
        let texts = svgTexts(both.svg)
        XCTAssertTrue(texts.contains("both_ways, forward: LSTM(8, return_sequences=True)"), "\(texts)")
        XCTAssertTrue(texts.contains("both_ways, backward: LSTM(8, return_sequences=True, go_backwards=True)"), "\(texts)")
        assertWellFormedSVG(both.svg)
        XCTAssertEqual(try layers[1].unrolledDiagram().cellType, "GRU")
        XCTAssertEqual(try layers[2].unrolledDiagram().outputShapeText, "(None, 4)")
        XCTAssertThrowsError(try layers[3].unrolledDiagram()) { error in
            XCTAssertEqual("\(error)".contains("got Dense 'head'"), true, "\(error)")
        }
    }

    /// `mergeMode: nil` (Keras's merge_mode=None): two separate outputs, then the states of both directions.
    func testBidirectionalWithoutMergeListsBothOutputs() throws {
        LSTMKit.clearSession()
        let x = Input(shape: [5, 2])
        let bi = Bidirectional(GRU(units: 3, returnSequences: true, returnState: true), mergeMode: nil, name: "split")
        _ = try bi.callAll(x)
        let d = try unrolledDiagram(bi)
        XCTAssertEqual(d.outputShapeText, "[(None, 5, 3), (None, 5, 3), (None, 3), (None, 3)]")
        XCTAssertEqual(d.signature, "Bidirectional(GRU(3, return_sequences=True, return_state=True), merge_mode=None)")
        XCTAssertTrue(d.explanation.hasSuffix("kept separate (merge_mode=None)"), d.explanation)
        assertWellFormedSVG(d.svg)
        let noState = Bidirectional(LSTM(units: 2), mergeMode: nil, inputShape: [4, 1])
        _ = try noState.callAll(Input(shape: [4, 1]))
        XCTAssertEqual(try unrolledDiagram(noState).outputShapeText, "[(None, 2), (None, 2)]")
    }

    func testStateOutputsAndGoBackwards() throws {
        let d = try UnrolledRNNDiagram(units: 32, timesteps: 12, inputFeatures: 1, returnSequences: false,
                                       returnState: true, goBackwards: true)
        let texts = svgTexts(d.svg)
        XCTAssertTrue(texts.contains("state_h") && texts.contains("state_c"))
        XCTAssertTrue(texts.contains("⋯"), "12 steps are elided in the middle")
        XCTAssertEqual(texts.filter { $0.hasPrefix("x") }.first, "x₁₁", "go_backwards reads the last input first")
        XCTAssertEqual(d.outputShapeText, "[(None, 32), (None, 32), (None, 32)]")
    }
}
