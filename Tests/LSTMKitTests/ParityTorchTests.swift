import XCTest
@testable import LSTMKit

/// PyTorch nn.LSTM / nn.GRU with converted weights give the same outputs and gradients
/// (tools/fixtures/fixtures_torch.py; skipped when the fixture was generated without torch).
final class ParityTorchTests: XCTestCase {
    struct Case: Decodable {
        let name: String
        let type: String
        let input: FixtureTensor
        let weights: [String: FixtureTensor]
        let sequence: FixtureTensor
        let finalStates: [FixtureTensor]
        let target: FixtureTensor
        let inputGradient: FixtureTensor
    }

    struct File: Decodable { let cases: [Case] }

    func testPyTorchRecurrentLayersMatch() throws {
        guard (try? fixtureURL("torch.json")) != nil else { throw XCTSkip("torch.json not generated (torch missing)") }
        let file = try loadFixture("torch.json", as: File.self)
        XCTAssertEqual(file.cases.map(\.type), ["LSTM", "GRU"])
        for c in file.cases {
            let w = { (name: String) in c.weights[name]!.tensor }
            let isLSTM = c.type == "LSTM"
            let layer: Recurrent = isLSTM ? LSTM(units: 3, returnSequences: true, returnState: true)
                                          : GRU(units: 3, returnSequences: true, returnState: true)
            let input = Input(shape: [4, 3])
            let model = try Model(inputs: [input], outputs: try layer.callAll([input]))
            let convert = isLSTM ? PyTorchWeights.lstm : PyTorchWeights.gru
            try layer.setWeights(try convert(w("weight_ih_l0"), w("weight_hh_l0"), w("bias_ih_l0"), w("bias_hh_l0")))
            let f = try model.forwardWithMasks([c.input.tensor], training: false)
            assertClose(f.outputs[0], c.sequence.tensor, "\(c.name) sequence")
            // PyTorch returns h (and c) as (layers, B, u); the fixture keeps layer 0.
            for (k, s) in c.finalStates.enumerated() { assertClose(f.outputs[k + 1], s.tensor, "\(c.name) final state \(k)") }
            let dy = try (f.outputs[0] - c.target.tensor) * (2 / Float(f.outputs[0].count))
            let dx = try f.pullback([dy] + Array(repeating: nil, count: f.outputs.count - 1))
            assertClose(try XCTUnwrap(dx[0]), c.inputGradient.tensor, "\(c.name) input gradient")
        }
    }

    func testConversionRejectsWrongShapes() {
        XCTAssertThrowsError(try PyTorchWeights.lstm(weightIH: .zeros([12, 3]), weightHH: .zeros([12, 4]),
                                                     biasIH: .zeros([12]), biasHH: .zeros([12]))) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message, "PyTorch LSTM weight_hh must have shape (12, 3) for 3 units, got (12, 4)")
        }
    }
}
