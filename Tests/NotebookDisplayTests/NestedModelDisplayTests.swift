import Foundation
import XCTest
import LSTMKit
import NotebookDisplay
import TestSupport

/// A model called inside another (`decoder(encoder(x))`) shows as one box / step / row everywhere,
/// as Keras 3's summary shows it; figures carry alt text in every form.
final class NestedModelDisplayTests: XCTestCase {
    private func seed001() throws -> Model {
        LSTMKit.clearSession()
        let inp = Input(shape: [3, 2])
        let encoder = try Model(inputs: inp, outputs: LSTM(units: 16, activation: .relu)(inp))
        let code = Input(shape: [16])
        let x = try LSTM(units: 16, activation: .relu, returnSequences: true)(RepeatVector(3)(code))
        let decoder = try Model(inputs: code, outputs: TimeDistributed(Dense(units: 2))(x))
        return try Model(encoder.inputs, decoder(encoder(encoder.inputs)))
    }

    func testPlotModelDrawsANestedModelAsOneBox() throws {
        let diagram = try plotModel(try seed001())
        XCTAssertEqual(diagram.graph.nodes.map(\.name), ["input_layer", "functional", "functional_1"])
        XCTAssertEqual(diagram.graph.nodes.map(\.className), ["InputLayer", "Functional", "Functional"])
        XCTAssertEqual(diagram.graph.nodes[1].outputShapes, [[nil, 16]])
        XCTAssertEqual(diagram.graph.nodes[2].parameterCount, 2_146)
        XCTAssertEqual(diagram.graph.nodes[2].inbound.map(\.node), [1])
        XCTAssertEqual(diagram.textSummary, """
            Model "functional_2": 3 layers
              input_layer (InputLayer)  (None, 3, 2)
              functional (Functional) ← input_layer  (None, 16)
              functional_1 (Functional) ← functional  (None, 3, 2)
            """)
        assertWellFormedSVG(diagram.svg)
        XCTAssertTrue(svgTexts(diagram.svg).contains("functional_1 (Functional)") || svgTexts(diagram.svg).contains("functional_1"))
    }

    func testTraceShapesStepsThroughANestedModelAsOneStep() throws {
        let model = try seed001()
        let trace = try traceShapes(model, Tensor.ones([3, 2]))
        XCTAssertEqual(trace.steps.map(\.layerName), ["input_layer", "functional", "functional_1"])
        XCTAssertEqual(trace.dataFlow.flowText, "3x2 → 16 → 3x2")
        XCTAssertEqual(trace.steps.filter(\.isEncoding).map(\.layerName), ["functional"])
        XCTAssertEqual(trace.steps[2].firstValues, Array(try model(Tensor.ones([1, 3, 2])).scalars.prefix(4)))
        // The summary table (text and HTML) has the same rows.
        let html = model.summaryTable().html
        XCTAssertTrue(html.contains("functional_1 (Functional)"))
        XCTAssertFalse(html.contains("(LSTM)"), "the nested layers are not listed")
    }

    func testFiguresCarryAltTextInTheirHTMLForm() throws {
        let model = try seed001()
        let bundles = [try plotModel(model).mimeBundle, try traceShapes(model, Tensor.ones([3, 2])).mimeBundle]
        for bundle in bundles {
            let html = try XCTUnwrap(bundle["text/html"])
            XCTAssertFalse(html.contains("<svg"), "a sanitiser keeps only an inline SVG's text")
            XCTAssertTrue(html.contains("<img src=\"data:image/svg+xml;base64,"), html)
            XCTAssertNotNil(bundle["image/svg+xml"])
        }
        XCTAssertTrue(bundles[0]["text/html"]!.contains("alt=\"Model functional_2: input_layer → functional → functional_1\""))
        XCTAssertTrue(try plotModel(model).svg.contains("aria-label=\"Model functional_2: input_layer → functional → functional_1\""))
        var plot = Plot(title: "Loss")
        plot.addLine([3, 2, 1], name: "loss")
        XCTAssertTrue(plot.mimeBundle["text/html"]!.contains("alt=\"Plot: Loss (1 series); loss: 3 points, y from 1 to 3, last 1\""),
                      plot.mimeBundle["text/html"]!)
    }
}
