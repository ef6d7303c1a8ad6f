import XCTest
@testable import LSTMKit
import TestSupport

/// Sequential and functional models: tutorial parameter counts, names, shapes, shared weights, errors.
final class ModelTests: XCTestCase {
    override func setUp() {
        LSTMKit.clearSession()
        LSTMKit.setRandomSeed(1)
    }

    func testAutoencoderParamCountsNamesAndShapes() throws {
        let m = try TutorialModels.autoencoder()
        XCTAssertEqual(m.name, "sequential")
        XCTAssertEqual(m.layers.map(\.name), ["lstm", "lstm_1", "repeat_vector", "lstm_2", "lstm_3", "time_distributed"])
        XCTAssertEqual(m.layers.map { $0.countParams() }, [67_072, 49_408, 0, 33_024, 98_816, 258])
        XCTAssertEqual(m.countParams(), 248_578)
        XCTAssertEqual(m.layers.map { formatShape($0.outputShapes[0]) },
                       ["(None, 3, 128)", "(None, 64)", "(None, 3, 64)", "(None, 3, 64)", "(None, 3, 128)", "(None, 3, 2)"])
        let y = try m(try Tensor.randomUniform([5, 3, 2]))
        XCTAssertEqual(y.shape, [5, 3, 2])
    }

    func testTimeDistributedTutorialModels() throws {
        let oneToOne = try TutorialModels.oneToOne()
        XCTAssertEqual(oneToOne.layers.map { $0.countParams() }, [140, 6])
        let manyToOne = try TutorialModels.manyToOne()
        XCTAssertEqual(manyToOne.layers.map { $0.countParams() }, [140, 30])
        let manyToMany = try TutorialModels.manyToMany()
        XCTAssertEqual(manyToMany.layers.map { $0.countParams() }, [140, 6])
        XCTAssertEqual(try manyToMany(try Tensor.randomUniform([1, 5, 1])).shape, [1, 5, 1])
    }

    func testReturnStateFunctionalModel() throws {
        let x = Input(shape: [3, 1])
        let outs = try LSTM(units: 1, returnState: true).callAll(x)
        XCTAssertEqual(outs.map { formatShape($0.shape) }, ["(None, 1)", "(None, 1)", "(None, 1)"])
        let m = try Model(inputs: x, outputs: outs)
        XCTAssertEqual(m.layers.map(\.className), ["InputLayer", "LSTM"])
        let ys = try m.callAll([try Tensor([[[0.1], [0.2], [0.3]]])])
        XCTAssertEqual(ys.count, 3)
        XCTAssertEqual(ys[0], ys[1], "the last output equals the final hidden state")
        let seq = try LSTM(units: 2, returnSequences: true, returnState: true).callAll(x)
        XCTAssertEqual(seq.map { formatShape($0.shape) }, ["(None, 3, 2)", "(None, 2)", "(None, 2)"])
    }

    /// The classic autoencoder answer: train the autoencoder, use the encoder alone — weights are shared.
    func testEncoderAndAutoencoderShareWeights() throws {
        let x = Input(shape: [3, 2])
        let encoderLSTM = LSTM(units: 4)
        let encoded = try encoderLSTM(x)
        let decoded = try TimeDistributed(Dense(units: 2))(LSTM(units: 4, returnSequences: true)(RepeatVector(3)(encoded)))
        let autoencoder = try Model(inputs: x, outputs: decoded)
        let encoder = try Model(inputs: x, outputs: encoded)
        XCTAssertTrue(encoder.parameters.allSatisfy { p in autoencoder.parameters.contains { $0 === p } })
        let data = try Tensor.randomUniform([2, 3, 2])
        let before = try encoder(data)
        encoderLSTM.getWeights()[0].scalars.indices.forEach { _ in }
        var w = encoderLSTM.getWeights(); w[0] = w[0] * 2
        try encoderLSTM.setWeights(w)
        XCTAssertNotEqual(try encoder(data), before, "changing the shared layer changes the encoder")
        // Decoder from the same layers on a new input.
        let code = Input(shape: [4])
        var h: SymbolicTensor = code.symbolicTensor
        for l in autoencoder.layers.suffix(3) { h = try l(h) }
        let decoder = try Model(inputs: code, outputs: h)
        XCTAssertEqual(try decoder(encoder(data)), try autoencoder(data))
    }

    /// The tutorial idiom: `Model(inputs: model.inputs, outputs: model.layers[1].output)`.
    func testEncoderCutFromTrainedSequentialWithLayerOutput() throws {
        let model = try TutorialModels.autoencoder()
        let encoder = try Model(inputs: model.inputs, outputs: model.layers[1].output)
        XCTAssertEqual(encoder.outputShapes, [[nil, 64]])
        XCTAssertEqual(encoder.countParams(), 67_072 + 49_408)
        let x = try Tensor.randomUniform([2, 3, 2])
        XCTAssertEqual(try encoder(x).shape, [2, 64])
        XCTAssertThrowsError(try LSTM(units: 2).output) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "LSTM 'lstm_4' has not been called on a symbolic tensor yet, so it has no output")
        }
    }

    /// Graph objects must not form retain cycles: a dropped model frees its layers and weights.
    func testDroppedModelIsDeallocated() throws {
        weak var weakLayer: Layer?
        weak var weakModel: Model?
        func scope() throws {
            let m = try TutorialModels.autoencoder()
            _ = try m(try Tensor.randomUniform([1, 3, 2]))
            weakLayer = m.layers[2]
            weakModel = m
        }
        try scope()
        XCTAssertNil(weakModel)
        XCTAssertNil(weakLayer)
    }

    /// Encoder–decoder: the encoder's final [h, c] seed the decoder (initialState); variable-length input.
    func testEncoderDecoderWithInitialStateAndVariableLength() throws {
        let encoderInput = Input(shape: [nil, 2])
        let encoder = try LSTM(units: 4, returnState: true).callAll(encoderInput)
        let decoderInput = Input(shape: [nil, 2])
        let decoderLSTM = LSTM(units: 4, returnSequences: true, returnState: true)
        let decoded = try decoderLSTM.callAll(decoderInput, initialState: Array(encoder[1...]))
        let y = try Dense(units: 2, activation: .softmax)(decoded[0])
        let model = try Model(inputs: [encoderInput, decoderInput], outputs: y)
        XCTAssertEqual(y.shape, [nil, nil, 2])
        XCTAssertEqual(decoderLSTM.inboundNodes[0].inboundLayers.map(\.className), ["InputLayer", "LSTM", "LSTM"])
        let out5 = try model.callAll([try Tensor.randomUniform([3, 5, 2]), try Tensor.randomUniform([3, 4, 2])])[0]
        XCTAssertEqual(out5.shape, [3, 4, 2])
        let out2 = try model.callAll([try Tensor.randomUniform([3, 2, 2]), try Tensor.randomUniform([3, 7, 2])])[0]
        XCTAssertEqual(out2.shape, [3, 7, 2])
        // The decoder depends on the encoder's input through the states.
        let a = try model.callAll([try Tensor.zeros([1, 3, 2]), try Tensor.ones([1, 2, 2])])[0]
        let b = try model.callAll([try Tensor.ones([1, 3, 2]), try Tensor.ones([1, 2, 2])])[0]
        XCTAssertNotEqual(a, b)
        XCTAssertThrowsError(try decoderLSTM(try Tensor.ones([1, 2, 2]), initialState: [try Tensor.zeros([1, 3]), try Tensor.zeros([1, 4])])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "LSTM 'lstm_1' expects initial state of shape (1, 4), got (1, 3)")
        }
    }

    func testSharedLayerAtTwoNodesCountsOnce() throws {
        let a = Input(shape: [4, 2]), b = Input(shape: [4, 2])
        let shared = LSTM(units: 3)
        let m = try Model(inputs: [a, b], outputs: [try shared(a), try shared(b)])
        XCTAssertEqual(m.countParams(), 4 * 3 * (2 + 3 + 1))
        XCTAssertEqual(shared.inboundNodes.count, 2)
        let x = try Tensor.randomUniform([2, 4, 2])
        let ys = try m.callAll([x, x])
        XCTAssertEqual(ys[0], ys[1])
    }

    func testShapeErrorsNameExpectedAndGiven() throws {
        let m = try Sequential([LSTM(units: 4, inputShape: [3, 2]), Dense(units: 1)])
        XCTAssertThrowsError(try m(try Tensor.zeros([5, 3, 4]))) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "LSTM 'lstm' expects input of shape (None, 3, 2), got (5, 3, 4)")
        }
        XCTAssertThrowsError(try m(try Tensor.zeros([5, 3]))) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "LSTM 'lstm' expects input of shape (None, 3, 2), got (5, 3)")
        }
        XCTAssertThrowsError(try Sequential([Dense(units: 3, inputShape: [4]), LSTM(units: 2)])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message,
                           "LSTM 'lstm_1' expects input of shape (None, None, None) (batch, timesteps, features), got (None, 3)")
        }
        let lstm = m.layers[0]
        XCTAssertThrowsError(try lstm.setWeights([try Tensor.zeros([2, 16]), try Tensor.zeros([4, 15]), try Tensor.zeros([16])])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "LSTM 'lstm' weight 'recurrent_kernel' expects shape (4, 16), got (4, 15)")
        }
        XCTAssertThrowsError(try lstm.setWeights([try Tensor.zeros([2, 16])])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "LSTM 'lstm' expects 3 weight arrays ((2, 16), (4, 16), (16,)), got 1")
        }
        XCTAssertThrowsError(try Activation(name: "relux")) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message,
                           "unknown activation 'relux'; expected one of: linear, relu, tanh, sigmoid, softmax, elu, selu, softplus, softsign, hard_sigmoid")
        }
        XCTAssertThrowsError(try Sequential([LSTM(units: 2, returnState: true, inputShape: [3, 1])])) { e in
            XCTAssertTrue((e as? LSTMKitError)?.message.contains("has 3 (use a functional Model for returnState)") ?? false, "\(e)")
        }
    }

    func testLayerCallErrorsNameExpectedAndGiven() throws {
        let dense = Dense(units: 2, name: "head")
        _ = try dense(try Tensor.ones([1, 3]))
        XCTAssertThrowsError(try dense(try Tensor.ones([1, 4]))) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "Dense 'head' expects input of shape (None, 3), got (1, 4)")
        }
        XCTAssertThrowsError(try Reshape([4, -1], name: "r")(try Tensor.ones([2, 6]))) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "Reshape 'r' cannot reshape samples of shape (6,) (6 values) into (4, -1)")
        }
        XCTAssertThrowsError(try RepeatVector(3, name: "rv")(try Tensor.ones([2, 3, 1]))) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "RepeatVector 'rv' expects input of shape (None, features), got (2, 3, 1)")
        }
        XCTAssertThrowsError(try LSTM(units: 0, name: "l0")(try Tensor.ones([1, 2, 1]))) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "LSTM 'l0' needs units > 0, got 0")
        }
        XCTAssertThrowsError(try Dropout(1.5, name: "d")(try Tensor.ones([1, 2]))) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "Dropout 'd' needs a rate in [0, 1), got 1.5")
        }
        let bi = Bidirectional(LSTM(units: 2), name: "bi")
        try bi.build(inputShape: [3, 1])
        XCTAssertThrowsError(try bi.setWeights(Array(bi.getWeights().prefix(3)))) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message,
                           "Bidirectional 'bi' expects 6 weight arrays ((1, 8), (2, 8), (8,), (1, 8), (2, 8), (8,)), got 3")
        }
    }

    func testGraphDisconnectedThrows() throws {
        let a = Input(shape: [2]), b = Input(shape: [2])
        let y = try Dense(units: 1)(b)
        XCTAssertThrowsError(try Model(inputs: a, outputs: y)) { e in
            guard case .graph(let msg)? = e as? LSTMKitError else { return XCTFail("\(e)") }
            XCTAssertTrue(msg.hasPrefix("graph disconnected: the outputs depend on InputLayer 'input_layer_1'"), msg)
        }
    }

    func testDeferredSequentialBuildsOnFirstCall() throws {
        let m = try Sequential([Dense(units: 3, activation: .relu), Dense(units: 1)])
        XCTAssertEqual(m.countParams(), 0)
        _ = try m(try Tensor.ones([2, 4]))
        XCTAssertEqual(m.countParams(), 4 * 3 + 3 + 3 + 1)
        XCTAssertEqual(m.layers[0].outputShapes, [[nil, 3]])
    }

    func testConfigRoundTripRebuildsEquivalentLayers() throws {
        let layers: [Layer] = [
            LSTM(units: 3, activation: .relu, returnSequences: true, goBackwards: true, inputShape: [4, 2]),
            GRU(units: 2, resetAfter: false), SimpleRNN(units: 2), TimeDistributed(Dense(units: 2, activation: .softmax)),
            Bidirectional(LSTM(units: 2), mergeMode: .sum), RepeatVector(3), Reshape([2, -1]), Flatten(), Masking(maskValue: -1), Dropout(0.5),
        ]
        for l in layers {
            let data = try JSONEncoder().encode(l.config)
            let back = try JSONDecoder().decode(LayerConfig.self, from: data)
            XCTAssertEqual(back, l.config)
            let rebuilt = try LayerRegistry.makeLayer(back)
            XCTAssertEqual(rebuilt.className, l.className)
            XCTAssertEqual(rebuilt.config, l.config)
        }
        XCTAssertThrowsError(try LayerRegistry.makeLayer(LayerConfig(className: "Conv2D", values: [:])))
    }

    func testBidirectionalAndGRUParamCounts() throws {
        let m = try Sequential([Bidirectional(LSTM(units: 4, returnSequences: true), inputShape: [5, 3]), GRU(units: 2), SimpleRNN(units: 3, inputShape: nil)].prefix(2).map { $0 })
        XCTAssertEqual(m.layers[0].countParams(), 2 * 4 * 4 * (3 + 4 + 1))
        XCTAssertEqual(m.layers[0].outputShapes, [[nil, 5, 8]])
        XCTAssertEqual(m.layers[1].countParams(), 3 * 2 * (8 + 2 + 2))
        let s = SimpleRNN(units: 3)
        try s.build(inputShape: [5, 2])
        XCTAssertEqual(s.countParams(), 3 * (2 + 3 + 1))
    }
}

import Foundation
