import Foundation
import XCTest
import LSTMKit
import NotebookDisplay
import TestSupport

final class ModelDisplayTests: XCTestCase {
    func testLayerGraphOfTheAutoencoder() throws {
        let graph = try LayerGraph(TutorialModels.autoencoder())
        XCTAssertEqual(graph.nodes.map(\.name), ["input_layer", "lstm", "lstm_1", "repeat_vector", "lstm_2", "lstm_3", "time_distributed"])
        XCTAssertEqual(graph.totalParameters, 248_578)
        XCTAssertEqual(graph.nodes[6].className, "TimeDistributed(Dense)")
        XCTAssertEqual(graph.nodes[1].detail, "128 units, relu, return_sequences")
        XCTAssertEqual(graph.nodes[3].detail, "n = 3")
        XCTAssertEqual(graph.nodes[2].inbound.map(\.node), [1])
    }

    func testPlotModelDrawsEveryLayerWithShapes() throws {
        let diagram = try plotModel(TutorialModels.autoencoder(), showShapes: true, highlight: ["lstm_1"])
        let svg = diagram.svg
        assertWellFormedSVG(svg)
        let texts = svgTexts(svg)
        for expected in ["lstm_1 (LSTM)", "repeat_vector (RepeatVector)", "time_distributed (TimeDistributed(Dense))",
                         "input: (None, 3, 128)", "output: (None, 64)", "output: (None, 3, 2)"] {
            XCTAssertTrue(texts.contains(expected), "missing \(expected)")
        }
        XCTAssertEqual(svg.components(separatedBy: "stroke=\"#D55E00\"").count - 1, 1, "one highlighted box")
        XCTAssertTrue(diagram.textSummary.contains("lstm_1 (LSTM) ← lstm"))
        assertGolden(svg, named: "plot_model_autoencoder.svg")
    }

    func testPlotModelBranchesForAFunctionalEncoderDecoder() throws {
        let svg = try plotModel(TutorialModels.encoderDecoder()).svg
        assertWellFormedSVG(svg)
        let texts = svgTexts(svg)
        XCTAssertTrue(texts.contains("state_h") && texts.contains("state_c"), "the state edges are labelled: \(texts)")
        XCTAssertTrue(texts.contains("encoder_inputs (InputLayer)") && texts.contains("decoder_inputs (InputLayer)"))
        XCTAssertEqual(svg.components(separatedBy: "<path d=\"M").count - 1 >= 5, true)
        assertGolden(svg, named: "plot_model_encoder_decoder.svg")
    }

    func testSummaryHTMLMatchesTheKerasTable() throws {
        let model = try TutorialModels.autoencoder()
        let bundle = model.mimeBundle
        let html = try XCTUnwrap(bundle["text/html"])
        XCTAssertTrue(html.contains("Model: &quot;sequential&quot;") || html.contains("Model: \"sequential\""))
        XCTAssertTrue(html.contains(">lstm_1 (LSTM)</td>"))
        XCTAssertTrue(html.contains(">67,072</td>") && html.contains(">258</td>"))
        XCTAssertTrue(html.contains("<b>Total params:</b> 248,578 (971.01 KB)"))
        XCTAssertEqual(html.components(separatedBy: "<tr>").count - 1, 1 + 6, "header + six layers")
        XCTAssertEqual(bundle.plainText, model.summaryTable().text, "text/plain is LSTMKit's Keras table")
        assertGolden(html, named: "summary_autoencoder.html")
    }

    func testWrappersNameWhatTheyWrap() throws {
        LSTMKit.clearSession()
        let model = try Sequential([Bidirectional(LSTM(units: 5, returnSequences: true), inputShape: [4, 1]),
                                    TimeDistributed(Dense(units: 1, activation: .sigmoid))])
        let nodes = try LayerGraph(model).nodes
        XCTAssertEqual(nodes[1].className, "Bidirectional(LSTM)")
        XCTAssertEqual(nodes[1].detail, "5 units, return_sequences, merge concat")
        XCTAssertEqual(nodes[1].outputShapes, [[nil, 4, 10]])
        XCTAssertEqual(nodes[2].className, "TimeDistributed(Dense)")
        XCTAssertEqual(nodes[2].detail, "1 unit, sigmoid")
    }

    func testFunctionalSummaryHasConnectedTo() throws {
        let html = try XCTUnwrap(TutorialModels.encoderDecoder().mimeBundle["text/html"])
        XCTAssertTrue(html.contains(">Connected to</th>"))
    }

    func testEmptySequentialSaysWhatIsMissing() throws {
        let model = try Sequential([LSTM(units: 4)])
        XCTAssertThrowsError(try plotModel(model)) { error in
            XCTAssertTrue("\(error)".contains("has no layer graph yet"), "\(error)")
        }
        XCTAssertTrue(model.mimeBundle.plainText.contains("Model: \"sequential"), "an unbuilt model still shows its summary")
    }
}

final class ModelDiagramRobustnessTests: XCTestCase {
    func testRandomGraphsLayOutAndParse() throws {
        var rng = PlotRobustnessTests.SplitMix(state: 7)
        for round in 0..<150 {
            var nodes: [LayerGraph.Node] = []
            for i in 0..<Int.random(in: 0...12, using: &rng) {
                let outputs = Int.random(in: 1...3, using: &rng)
                var inbound: [(node: Int, output: Int)] = []
                if i > 0 && Int.random(in: 0..<5, using: &rng) > 0 {
                    for _ in 0..<Int.random(in: 1...3, using: &rng) {
                        let source = Int.random(in: 0..<i, using: &rng)
                        inbound.append((source, Int.random(in: 0..<nodes[source].outputShapes.count, using: &rng)))
                    }
                }
                nodes.append(LayerGraph.Node(name: "layer_\(i)", className: ["LSTM", "Dense", "InputLayer", "RepeatVector"][i % 4],
                                             inputShapes: [[nil, 3]], outputShapes: Array(repeating: [nil, i], count: outputs),
                                             parameterCount: i * 10, detail: i % 2 == 0 ? "detail <\(i)>" : nil, inbound: inbound))
            }
            let graph = try LayerGraph(name: "random_\(round)", nodes: nodes)
            let svg = ModelDiagram(graph, showParameters: round % 2 == 0).svg
            assertWellFormedSVG(svg)
            XCTAssertFalse(svg.contains("nan") || svg.contains("inf"), "round \(round)")
            XCTAssertEqual(svgTexts(svg).filter { $0.hasPrefix("layer_") }.count, nodes.count, "every layer drawn once")
        }
    }

    func testEdgesMustPointBackwards() {
        let node = LayerGraph.Node(name: "a", className: "Dense", inputShapes: [], outputShapes: [[nil, 1]], inbound: [(0, 0)])
        XCTAssertThrowsError(try LayerGraph(name: "loop", nodes: [node])) { error in
            XCTAssertTrue("\(error)".contains("expects inputs from earlier nodes 0..<0, got node 0"), "\(error)")
        }
    }
}
