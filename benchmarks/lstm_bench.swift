// LSTMKit side of benchmarks/lstm_bench.py: compiled with swiftc against the built libLSTMKit.so and run
// once per workload, printing one JSON object. Workloads mirror the Keras and PyTorch ones in the .py file.
import Foundation
import LSTMKit

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func emit(_ result: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(data: data, encoding: .utf8)!)
}

/// The tutorial autoencoder: 9×2 series, temporalize(lookback 3) → 5×3×2, 300 epochs, batch 5.
func autoencoder(epochs: Int) throws {
    LSTMKit.setRandomSeed(1)
    let t = (1...9).map { Float($0) / 10 }
    let x = try temporalize(try Tensor(t.map { [$0, $0 * $0 * $0] }), lookback: 3)
    let model = try Sequential([
        Input(shape: [3, 2]),
        LSTM(units: 128, activation: .relu, returnSequences: true),
        LSTM(units: 64, activation: .relu),
        RepeatVector(3),
        LSTM(units: 64, activation: .relu, returnSequences: true),
        LSTM(units: 128, activation: .relu, returnSequences: true),
        TimeDistributed(Dense(units: 2)),
    ])
    model.compile(optimizer: Adam(), loss: .mse)
    let start = now()
    let history = try model.fit(x, x, epochs: epochs, batchSize: 5, verbose: 0)
    let seconds = now() - start
    emit(["framework": "lstmkit", "workload": "autoencoder", "epochs": epochs, "fit_seconds": seconds,
          "final_loss": Double(history["loss"]!.last!), "splits_small_products": LSTMKit.splitsSmallProducts,
          "core_handoff_ns": LSTMKit.coreHandoffNanoseconds ?? -1])
}

/// Two stacked LSTM(256) (or GRU(256)) on (T 50, 32 features), Dense(1), mse, Adam, batch 64.
func stacked(samples: Int, epochs: Int, gru: Bool) throws {
    LSTMKit.setRandomSeed(2)
    let x = try Tensor.randomUniform([samples, 50, 32], low: -1, high: 1)
    let y = try Tensor.randomUniform([samples, 1], low: -1, high: 1)
    let recurrent: [Layer] = gru ? [GRU(units: 256, returnSequences: true), GRU(units: 256)]
                                 : [LSTM(units: 256, returnSequences: true), LSTM(units: 256)]
    let model = try Sequential([Input(shape: [50, 32])] + recurrent + [Dense(units: 1)])
    model.compile(optimizer: Adam(), loss: .mse)
    try model.fit(x.rows(0..<64), y.rows(0..<64), epochs: 1, batchSize: 64, verbose: 0)  // warm-up
    var start = now()
    try model.fit(x, y, epochs: epochs, batchSize: 64, verbose: 0)
    let train = now() - start
    _ = try model.predict(x.rows(0..<64), batchSize: 64, verbose: 0)
    start = now()
    _ = try model.predict(x, batchSize: 64, verbose: 0)
    let predict = now() - start
    emit(["framework": "lstmkit", "workload": gru ? "stacked-gru" : "stacked", "samples": samples, "epochs": epochs,
          "train_seconds": train, "predict_seconds": predict, "blas_core": LSTMKit.blasCore, "onednn": LSTMKit.useOneDNN])
}

extension Tensor {
    func rows(_ r: Range<Int>) -> Tensor { try! self[r] }
}

/// What `measuredStep` runs: one prediction batch or one training step of the stacked model.
nonisolated(unsafe) var measured: () throws -> Void = {}

/// The region benchmarks/lstm_profile.py counts (callgrind toggles collection on this function's symbol).
@inline(never)
func measuredStep() { try! measured() }

/// The stacked model after a warm-up batch of `what` ("predict" or "train": primitives built, buffers
/// pooled), then one more inside `measuredStep`.
func profile(_ what: String, gru: Bool) throws {
    LSTMKit.setRandomSeed(2)
    let x = try Tensor.randomUniform([64, 50, 32], low: -1, high: 1), y = try Tensor.randomUniform([64, 1], low: -1, high: 1)
    let recurrent: [Layer] = gru ? [GRU(units: 256, returnSequences: true), GRU(units: 256)]
                                 : [LSTM(units: 256, returnSequences: true), LSTM(units: 256)]
    let model = try Sequential([Input(shape: [50, 32])] + recurrent + [Dense(units: 1)])
    model.compile(optimizer: Adam(), loss: .mse)
    if what == "train" { _ = try model.trainOnBatch(x, y) } else { _ = try model.predict(x, batchSize: 64, verbose: 0) }
    measured = what == "train" ? { _ = try model.trainOnBatch(x, y) } : { _ = try model.predict(x, batchSize: 64, verbose: 0) }
    measuredStep()
    emit(["framework": "lstmkit", "workload": "profile-\(what)", "onednn": LSTMKit.useOneDNN, "blas_core": LSTMKit.blasCore])
}

let args = CommandLine.arguments
let arg = { (name: String, fallback: Int) -> Int in
    if let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) { return v }
    return fallback
}
do {
    switch args.dropFirst().first {
    case "autoencoder": try autoencoder(epochs: arg("--epochs", 300))
    case "stacked": try stacked(samples: arg("--samples", 1024), epochs: arg("--epochs", 10), gru: false)
    case "stacked-gru": try stacked(samples: arg("--samples", 1024), epochs: arg("--epochs", 10), gru: true)
    case "profile-predict": try profile("predict", gru: args.contains("--gru"))
    case "profile-train": try profile("train", gru: args.contains("--gru"))
    default:
        FileHandle.standardError.write("usage: lstm_bench_swift autoencoder|stacked|stacked-gru [--epochs N] [--samples N]\n".data(using: .utf8)!)
        exit(2)
    }
} catch {
    FileHandle.standardError.write("benchmark failed: \(error)\n".data(using: .utf8)!)
    exit(1)
}
