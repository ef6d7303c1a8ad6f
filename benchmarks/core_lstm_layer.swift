// Micro-benchmark of the LSTMKit core: one LSTM(256) layer, forward + backward on (64, 50, 32).
// Built and run by core_lstm_layer.sh against the package's libLSTMKit.so; not a unit test.
import Foundation
import LSTMKit

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

let (b, t, d, u) = (64, 50, 32, 256)
LSTMKit.setRandomSeed(0)
let x = Input(shape: [t, d])
let model = try Model(inputs: x, outputs: LSTM(units: u, returnSequences: true)(x))
let data = try Tensor.randomUniform([b, t, d], low: -1, high: 1)
let dy = try Tensor.randomUniform([b, t, u], low: -1, high: 1)

// Matrix-product FLOPs: forward x·W and h·U; backward twice that (input and weight gradients).
let forwardFlops = 2.0 * Double(b * t) * Double(d + u) * Double(4 * u)
let totalFlops = 3 * forwardFlops

for _ in 0..<2 { let f = try model.forward([data], training: true); try f.pullback([dy]) }   // warm-up
let reps = 10
var fwd = 0.0, bwd = 0.0
for _ in 0..<reps {
    model.zeroGradients()
    var pullback: (([Tensor?]) throws -> Void)!
    fwd += try seconds { pullback = try model.forward([data], training: true).pullback }
    bwd += try seconds { try pullback([dy]) }
}
fwd /= Double(reps); bwd /= Double(reps)
let line = String(format: "LSTM(%d) on (%d, %d, %d): forward %.2f ms (%.1f GFLOP/s), backward %.2f ms (%.1f GFLOP/s), forward+backward %.2f ms = %.1f GFLOP/s (%.2f GFLOP per step)",
                  u, b, t, d, fwd * 1e3, forwardFlops / fwd / 1e9, bwd * 1e3, 2 * forwardFlops / bwd / 1e9,
                  (fwd + bwd) * 1e3, totalFlops / (fwd + bwd) / 1e9, totalFlops / 1e9)
print(line)

// The tutorial autoencoder (input 3x2, batch 5): forward + backward time per training step, the
// core's share of issue 4's "300 epochs in ≤ 0.15 s" goal (the optimizer update is not included).
LSTMKit.setRandomSeed(0)
let auto = try Sequential([
    LSTM(units: 128, activation: .relu, returnSequences: true, inputShape: [3, 2]),
    LSTM(units: 64, activation: .relu),
    RepeatVector(3),
    LSTM(units: 64, activation: .relu, returnSequences: true),
    LSTM(units: 128, activation: .relu, returnSequences: true),
    TimeDistributed(Dense(units: 2)),
])
let seqX = try Tensor.randomUniform([5, 3, 2])
let seqDy = try Tensor.randomUniform([5, 3, 2], low: -0.1, high: 0.1)
for _ in 0..<20 { auto.zeroGradients(); try auto.forward([seqX], training: true).pullback([seqDy]) }
let steps = 300
let total = try seconds {
    for _ in 0..<steps { auto.zeroGradients(); try auto.forward([seqX], training: true).pullback([seqDy]) }
}
print(String(format: "Autoencoder (248,578 params) batch 5: %d forward+backward steps in %.3f s (%.0f µs per step)",
             steps, total, total / Double(steps) * 1e6))
