import Foundation
import XCTest
@testable import LSTMKit

/// Forward outputs and gradients of every layer option against real Keras 3 (tools/fixtures/fixtures_layers.py).
final class ParityLayerTests: XCTestCase {
    final class LayerSpec: Decodable {
        let type: String
        let units: Int?
        let activation: String?
        let returnSequences: Bool?
        let returnState: Bool?
        let goBackwards: Bool?
        let stateful: Bool?
        let resetAfter: Bool?
        let maskValue: Double?
        let n: Int?
        let layer: LayerSpec?
    }

    struct Gradients: Decodable {
        let weights: [[FixtureWeight]]
        let inputs: [FixtureTensor]
    }

    struct Case: Decodable {
        let name: String
        let layers: [LayerSpec]
        let inputs: [FixtureTensor]
        let weights: [[FixtureWeight]]
        let outputs: [FixtureTensor]
        let targets: [FixtureTensor]?
        let gradients: Gradients?
        let secondInput: FixtureTensor?
        let secondOutputs: [FixtureTensor]?
    }

    struct File: Decodable { let cases: [Case] }

    static func makeLayer(_ s: LayerSpec) throws -> Layer {
        let act = try Activation(name: s.activation ?? (s.type == "Dense" ? "linear" : "tanh"))
        let seq = s.returnSequences ?? false, state = s.returnState ?? false
        let back = s.goBackwards ?? false, stateful = s.stateful ?? false
        switch s.type {
        case "LSTM":
            return LSTM(units: s.units!, activation: act, returnSequences: seq, returnState: state, goBackwards: back, stateful: stateful)
        case "GRU":
            return GRU(units: s.units!, resetAfter: s.resetAfter ?? true, returnSequences: seq, returnState: state,
                       goBackwards: back, stateful: stateful)
        case "SimpleRNN":
            return SimpleRNN(units: s.units!, activation: act, returnSequences: seq, returnState: state, goBackwards: back,
                             stateful: stateful)
        case "Dense": return Dense(units: s.units!, activation: act)
        case "TimeDistributed": return TimeDistributed(try makeLayer(s.layer!))
        case "Bidirectional": return Bidirectional(try makeLayer(s.layer!) as! Recurrent)
        case "RepeatVector": return RepeatVector(s.n!)
        case "Masking": return Masking(maskValue: Float(s.maskValue ?? 0))
        default: throw LSTMKitError.invalidArgument("fixture layer type \(s.type)")
        }
    }

    /// Builds the case's chain as a functional model (extra inputs are the first layer's initial state).
    func makeModel(_ c: Case) throws -> (Model, [Layer]) {
        let batch = c.layers.contains { $0.stateful == true } ? c.inputs[0].shape[0] : nil
        let inputs = c.inputs.map { Input(shape: $0.shape.dropFirst().map { $0 }, batchSize: batch) }
        let layers = try c.layers.map(Self.makeLayer)
        var h: [SymbolicTensor] = try layers[0].callAll(inputs)
        for l in layers.dropFirst() { h = try l.callAll([h[0]]) }
        let model = try Model(inputs: inputs, outputs: h)
        for (layer, ws) in zip(layers, c.weights) where !ws.isEmpty {
            try layer.setWeights(ws.map(\.tensor))
        }
        return (model, layers)
    }

    func testEveryLayerMatchesKeras() throws {
        let file = try loadFixture("layers.json", as: File.self)
        XCTAssertEqual(file.cases.count, 27)
        for c in file.cases {
            let (model, layers) = try makeModel(c)
            let xs = c.inputs.map(\.tensor)
            let f = try model.forwardWithMasks(xs, training: false)
            XCTAssertEqual(f.outputs.count, c.outputs.count, c.name)
            for (k, (got, want)) in zip(f.outputs, c.outputs).enumerated() {
                assertClose(got, want.tensor, "\(c.name) output \(k)")
            }
            if let second = c.secondInput, let expected = c.secondOutputs {
                let again = try model.callAll([second.tensor])
                for (k, (got, want)) in zip(again, expected).enumerated() {
                    assertClose(got, want.tensor, "\(c.name) second call output \(k)")
                }
                continue
            }
            guard let targets = c.targets, let grads = c.gradients else { continue }
            // L = Σ_k mean((y_k − t_k)²)  ⇒  dL/dy_k = 2 (y_k − t_k) / N_k
            let dOut = try zip(f.outputs, targets).map { y, t in try (y - t.tensor) * (2 / Float(y.count)) }
            model.zeroGradients()
            let dIn = try f.pullback(dOut)
            for (layer, expected) in zip(layers, grads.weights) {
                for (p, w) in zip(layer.parameters, expected) {
                    assertClose(p.grad, w.tensor, "\(c.name) d/d \(layer.name).\(w.name)")
                }
            }
            for (k, (got, want)) in zip(dIn, grads.inputs).enumerated() {
                guard let got else { XCTFail("\(c.name): no gradient for input \(k)"); continue }
                assertClose(got, want.tensor, "\(c.name) d/d input \(k)")
            }
        }
    }

    /// Keras's own test constants (kernel 0.01, recurrent 0.02, bias 0.03, forget bias 1).
    func testKerasReferenceConstants() throws {
        let file = try loadFixture("layers.json", as: File.self)
        let c = try XCTUnwrap(file.cases.first { $0.name == "lstm_keras_reference" })
        let (model, _) = try makeModel(c)
        let y = try model(c.inputs[0].tensor)
        let last = (0..<3).map { y.scalars[$0 * 3] }
        for (got, want) in zip(last, [Float(0.6288687), 0.86899155, 0.9460773]) {
            XCTAssertEqual(got, want, accuracy: 1e-6)
        }
    }
}
