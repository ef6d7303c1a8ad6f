import Foundation
import XCTest
@testable import LSTMKit

/// The oneDNN path (Keras's fused-kernel cases of LSTM and GRU) against LSTMKit's own step loop, on the
/// same weights and inputs: outputs, final states and every gradient. The Keras fixtures run on both
/// paths as well (`make test` repeats the parity suites with `LSTMKIT_ONEDNN=always`).
/// Tests of the oneDNN path use small shapes: every eligible pass goes to oneDNN whatever its size, and
/// the switches are put back afterwards.
class OneDNNTestCase: XCTestCase {
    override func setUp() { OneDNN.minimumWork = 0 }
    override func tearDown() { LSTMKit.useOneDNN = true; OneDNN.minimumWork = OneDNN.defaultMinimumWork }
}

final class OneDNNTests: OneDNNTestCase {

    private var disabledByEnvironment: Bool { ProcessInfo.processInfo.environment["LSTMKIT_ONEDNN"] == "0" }

    func testOneDNNServesTheDefaultCells() throws {
        try XCTSkipIf(disabledByEnvironment, "LSTMKIT_ONEDNN=0")
        // make setup installs libdnnl; without it the library would not even load.
        XCTAssertTrue(LSTMKit.useOneDNN, "oneDNN's CPU engine did not start")
        LSTMKit.setRandomSeed(3)
        let before = OneDNN.servedPasses
        let model = try Sequential([Input(shape: [7, 5]), LSTM(units: 6, returnSequences: true), GRU(units: 4), Dense(units: 1)])
        _ = try model.predict(try Tensor.randomUniform([3, 7, 5], low: -1, high: 1), verbose: 0)
        XCTAssertEqual(OneDNN.servedPasses - before, 2, "the LSTM and the GRU should both run through oneDNN")
    }

    func testSmallPassesStayOnTheStepLoop() throws {
        try XCTSkipIf(disabledByEnvironment, "LSTMKIT_ONEDNN=0")
        OneDNN.minimumWork = 1 << 23
        LSTMKit.setRandomSeed(13)
        // The tutorials' sizes (notebook 02's LSTM(5) on 5 steps): oneDNN's per-call cost would triple a step.
        let tiny = try Sequential([Input(shape: [5, 1]), LSTM(units: 5)])
        var before = OneDNN.servedPasses
        _ = try tiny.predict(try Tensor.randomUniform([1, 5, 1], low: 0, high: 1), verbose: 0)
        XCTAssertEqual(OneDNN.servedPasses, before, "a 600-multiply-add pass must use the step loop")
        // 16 × 50 × 4·128 × (32 + 128) = 65.5M multiply-adds: oneDNN.
        let large = try Sequential([Input(shape: [50, 32]), LSTM(units: 128)])
        before = OneDNN.servedPasses
        _ = try large.predict(try Tensor.randomUniform([16, 50, 32], low: 0, high: 1), verbose: 0)
        XCTAssertEqual(OneDNN.servedPasses - before, 1, "a 65M-multiply-add pass should go to oneDNN")
    }

    func testCasesKerasKeepsOffItsFusedKernelUseTheStepLoop() throws {
        try XCTSkipIf(disabledByEnvironment, "LSTMKIT_ONEDNN=0")
        LSTMKit.setRandomSeed(4)
        let x = try Tensor.randomUniform([2, 5, 3], low: -1, high: 1)
        let layers: [Layer] = [
            LSTM(units: 4, activation: .relu), LSTM(units: 4, recurrentActivation: .hardSigmoid),
            GRU(units: 4, resetAfter: false), LSTM(units: 4, recurrentDropout: 0.5), GRU(units: 4, dropout: 0.5),
        ]
        for layer in layers {
            let model = try Sequential([Input(shape: [5, 3]), layer])
            let before = OneDNN.servedPasses
            let f = try model.forwardWithMasks([x], training: true)
            XCTAssertEqual(OneDNN.servedPasses, before, "\(layer.name) must not run through oneDNN")
            XCTAssertEqual(f.outputs[0].shape, [2, 4])
        }
        // A mask (Masking, or padded sequences) also keeps the step loop.
        let masked = try Sequential([Input(shape: [5, 3]), Masking(maskValue: 0), LSTM(units: 4)])
        let before = OneDNN.servedPasses
        _ = try masked.predict(x, verbose: 0)
        XCTAssertEqual(OneDNN.servedPasses, before)
    }

    /// Runs `make()` twice, through oneDNN and through the step loop, with identical weights and
    /// inputs, and compares outputs, input gradients and parameter gradients.
    private func compareBothPaths(_ what: String, inputs: [Tensor], rtol: Float = 2e-5, atol: Float = 2e-6,
                                  file: StaticString = #filePath, line: UInt = #line, _ make: () throws -> Model) throws {
        var results: [(outputs: [Tensor], dInputs: [Tensor?], grads: [Tensor], served: Int)] = []
        for useOneDNN in [true, false] {
            LSTMKit.useOneDNN = useOneDNN
            LSTMKit.setRandomSeed(11)
            let model = try make()
            model.resetStates()
            model.zeroGradients()
            let before = OneDNN.servedPasses
            let f = try model.forwardWithMasks(inputs, training: true)
            LSTMKit.setRandomSeed(12)
            let seeds = try f.outputs.map { try Tensor.randomUniform($0.shape, low: -1, high: 1) }
            let dInputs = try f.pullback(seeds)
            results.append((f.outputs, dInputs, model.parameters.map(\.grad), OneDNN.servedPasses - before))
        }
        XCTAssertGreaterThan(results[0].served, 0, "\(what): oneDNN did not serve the first run", file: file, line: line)
        XCTAssertEqual(results[1].served, 0, "\(what): oneDNN served the step-loop run", file: file, line: line)
        let (a, b) = (results[0], results[1])
        for (i, (x, y)) in zip(a.outputs, b.outputs).enumerated() {
            assertClose(x, y, rtol: rtol, atol: atol, "\(what) output \(i)", file: file, line: line)
        }
        for (i, (x, y)) in zip(a.dInputs, b.dInputs).enumerated() {
            if let x, let y { assertClose(x, y, rtol: rtol, atol: atol, "\(what) d input \(i)", file: file, line: line) }
        }
        for (i, (x, y)) in zip(a.grads, b.grads).enumerated() {
            assertClose(x, y, rtol: rtol, atol: atol, "\(what) d parameter \(i)", file: file, line: line)
        }
    }

    func testLSTMMatchesTheStepLoop() throws {
        try XCTSkipIf(disabledByEnvironment, "LSTMKIT_ONEDNN=0")
        LSTMKit.setRandomSeed(5)
        let x = try Tensor.randomUniform([4, 9, 6], low: -1, high: 1)
        try compareBothPaths("LSTM(40) sequences", inputs: [x]) {
            try Sequential([Input(shape: [9, 6]), LSTM(units: 40, returnSequences: true), LSTM(units: 33), Dense(units: 2)])
        }
        try compareBothPaths("LSTM goBackwards, no bias", inputs: [x]) {
            try Sequential([Input(shape: [9, 6]), LSTM(units: 8, useBias: false, goBackwards: true)])
        }
        // Explicit initial states and returned states: gradients flow to h0 and c0.
        let h0 = try Tensor.randomUniform([4, 5], low: -1, high: 1), c0 = try Tensor.randomUniform([4, 5], low: -1, high: 1)
        try compareBothPaths("LSTM with initial and returned states", inputs: [x, h0, c0]) {
            let input = Input(shape: [9, 6]), h = Input(shape: [5]), c = Input(shape: [5])
            let outs = try LSTM(units: 5, returnSequences: true, returnState: true).callAll(input, initialState: [h, c])
            return try Model(inputs: [input, h, c], outputs: outs)
        }
        // One timestep, one sample, and a batch that splits across the cores in the step loop.
        try compareBothPaths("LSTM T=1 B=1", inputs: [try Tensor.randomUniform([1, 1, 6], low: -1, high: 1)]) {
            try Sequential([Input(shape: [1, 6]), LSTM(units: 3)])
        }
        try compareBothPaths("LSTM(64) batch 33", inputs: [try Tensor.randomUniform([33, 4, 6], low: -1, high: 1)]) {
            try Sequential([Input(shape: [4, 6]), LSTM(units: 64, returnSequences: true)])
        }
    }

    func testGRUMatchesTheStepLoop() throws {
        try XCTSkipIf(disabledByEnvironment, "LSTMKIT_ONEDNN=0")
        LSTMKit.setRandomSeed(6)
        let x = try Tensor.randomUniform([3, 8, 5], low: -1, high: 1)
        try compareBothPaths("GRU sequences", inputs: [x]) {
            try Sequential([Input(shape: [8, 5]), GRU(units: 24, returnSequences: true), GRU(units: 7), Dense(units: 1)])
        }
        let h0 = try Tensor.randomUniform([3, 6], low: -1, high: 1)
        try compareBothPaths("GRU with initial and returned state", inputs: [x, h0]) {
            let input = Input(shape: [8, 5]), h = Input(shape: [6])
            let outs = try GRU(units: 6, returnState: true).callAll(input, initialState: [h])
            return try Model(inputs: [input, h], outputs: outs)
        }
        try compareBothPaths("GRU no bias", inputs: [x]) {
            try Sequential([Input(shape: [8, 5]), GRU(units: 5, useBias: false)])
        }
    }

    func testStatefulLayersCarryStatesAcrossOneDNNPasses() throws {
        try XCTSkipIf(disabledByEnvironment, "LSTMKIT_ONEDNN=0")
        LSTMKit.setRandomSeed(7)
        let x = try Tensor.randomUniform([2, 4, 3], low: -1, high: 1)
        var outs: [[Tensor]] = []
        for useOneDNN in [true, false] {
            LSTMKit.useOneDNN = useOneDNN
            LSTMKit.setRandomSeed(8)
            let model = try Sequential([Input(shape: [4, 3], batchSize: 2), LSTM(units: 5, stateful: true)])
            outs.append([try model.predict(x, verbose: 0), try model.predict(x, verbose: 0)])
        }
        assertClose(outs[0][1], outs[1][1], rtol: 2e-5, atol: 2e-6, "second stateful call")
        XCTAssertNotEqual(outs[0][0].scalars, outs[0][1].scalars, "the second call must start from the first call's states")
    }

    func testTrainingThroughOneDNNMatchesTheStepLoop() throws {
        try XCTSkipIf(disabledByEnvironment, "LSTMKIT_ONEDNN=0")
        LSTMKit.setRandomSeed(9)
        let x = try Tensor.randomUniform([16, 6, 3], low: -1, high: 1), y = try Tensor.randomUniform([16, 1], low: -1, high: 1)
        var losses: [[Float]] = []
        for useOneDNN in [true, false] {
            LSTMKit.useOneDNN = useOneDNN
            LSTMKit.setRandomSeed(10)
            let model = try Sequential([Input(shape: [6, 3]), LSTM(units: 12, returnSequences: true), GRU(units: 8), Dense(units: 1)])
            model.compile(optimizer: Adam(learningRate: 0.01), loss: .mse)
            losses.append(try model.fit(x, y, epochs: 20, batchSize: 8, verbose: 0, shuffle: false)["loss"]!)
        }
        XCTAssertLessThan(losses[0].last!, losses[0].first! * 0.8, "training through oneDNN should lower the loss")
        for (a, b) in zip(losses[0], losses[1]) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b))) }
    }
}

/// A notebook runs every cell on a new thread: a oneDNN primitive created while one cell ran (and
/// whose thread has ended) must still run in the next cell. Before the scratchpads were owned by
/// LSTMKit this crashed the worker (SIGSEGV in notebook 02's third fit).
final class OneDNNThreadTests: OneDNNTestCase {

    func testAPassCreatedOnAnEndedThreadRunsOnANewOne() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["LSTMKIT_ONEDNN"] == "0", "LSTMKIT_ONEDNN=0")
        LSTMKit.setRandomSeed(21)
        let model = try Sequential([Input(shape: [5, 1]), LSTM(units: 5, returnSequences: true), GRU(units: 3)])
        model.compile(optimizer: Adam(), loss: .mse)
        let x = try Tensor.randomUniform([1, 5, 1], low: 0, high: 1), y = try Tensor.randomUniform([1, 3], low: 0, high: 1)
        var losses: [Float] = []
        for _ in 0..<3 {
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                losses += (try? model.fit(x, y, epochs: 2, batchSize: 1, verbose: 0)["loss"]) ?? [.nan]
                _ = try? model.predict(x, verbose: 0)
                done.signal()
            }
            thread.stackSize = 16 << 20
            thread.start()
            done.wait()
            Thread.sleep(forTimeInterval: 0.05)   // let the thread end, taking its thread-local storage with it
        }
        XCTAssertEqual(losses.count, 6)
        XCTAssertTrue(losses.allSatisfy(\.isFinite), "losses \(losses)")
    }
}

/// Inference keeps oneDNN's packed copy of the weights while they are unchanged; every way of changing
/// them must be seen by the next prediction.
final class OneDNNPackedWeightsTests: OneDNNTestCase {

    private func stepLoopPrediction(_ model: Model, _ x: Tensor) throws -> Tensor {
        LSTMKit.useOneDNN = false
        defer { LSTMKit.useOneDNN = true }
        return try model.predict(x, verbose: 0)
    }

    func testPredictionsFollowEveryChangeOfTheWeights() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["LSTMKIT_ONEDNN"] == "0", "LSTMKIT_ONEDNN=0")
        LSTMKit.setRandomSeed(31)
        // Two layers of one shape share oneDNN's primitive (and its packed-weight buffer).
        let model = try Sequential([Input(shape: [6, 8]), LSTM(units: 8, returnSequences: true),
                                    LSTM(units: 8, returnSequences: true), GRU(units: 8)])
        model.compile(optimizer: Adam(learningRate: 0.05), loss: .mse)
        let x = try Tensor.randomUniform([4, 6, 8], low: -1, high: 1), y = try Tensor.randomUniform([4, 8], low: -1, high: 1)
        func check(_ what: String) throws {
            let served = OneDNN.servedPasses
            let fast = try model.predict(x, verbose: 0)
            XCTAssertEqual(OneDNN.servedPasses - served, 3, what)
            assertClose(fast, try stepLoopPrediction(model, x), rtol: 2e-5, atol: 2e-6, what)
        }
        try check("first prediction")
        try check("same weights again")
        let before = try model.predict(x, verbose: 0)
        // 1. Training changes them.
        try model.fit(x, y, epochs: 2, batchSize: 4, verbose: 0)
        try check("after fit")
        // 2. setWeights.
        let weights = model.getWeights()
        try model.setWeights(weights.map { $0.map { $0 * 0.5 } })
        try check("after setWeights")
        // 3. An in-place edit of one recurrent kernel.
        let recurrent = model.parameters.first { $0.name == "recurrent_kernel" }!
        recurrent.value.withUnsafeMutableBufferPointer { $0[0] += 0.75; $0[5] -= 0.5 }
        try check("after editing a recurrent kernel in place")
        // 4. Assigning a new tensor.
        recurrent.value = try Tensor.randomUniform(recurrent.value.shape, low: -0.3, high: 0.3)
        try check("after assigning a kernel")
        XCTAssertNotEqual(try model.predict(x, verbose: 0).scalars, before.scalars)
    }
}

/// Loading LSTMKit keeps large blocks on glibc's heap (Allocator.c), unless the process chose otherwise.
final class AllocatorTests: XCTestCase {
    func testLargeBlocksComeFromTheHeapUnlessTheProcessChoseItsOwnSettings() throws {
        let env = ProcessInfo.processInfo.environment
        if env["MALLOC_MMAP_THRESHOLD_"] != nil || (env["GLIBC_TUNABLES"] ?? "").contains("glibc.malloc.") {
            XCTAssertFalse(Kernels.allocatorTuned, "the process's own malloc settings must win")
            return
        }
        // (The speed this buys is measured by make bench, not here.)
        XCTAssertTrue(Kernels.allocatorTuned, "loading LSTMKit should have raised glibc's mmap threshold")
    }

    func testTheProcessesOwnSettingWins() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["LSTMKIT_ALLOCATOR_CHILD"] != nil)
        // Run this test class again in a child whose environment sets glibc's own threshold.
        let test = Process()
        test.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        test.arguments = ["LSTMKitTests.AllocatorTests/testLargeBlocksComeFromTheHeapUnlessTheProcessChoseItsOwnSettings"]
        test.environment = ProcessInfo.processInfo.environment.merging(
            ["MALLOC_MMAP_THRESHOLD_": "131072", "LSTMKIT_ALLOCATOR_CHILD": "1"]) { $1 }
        let pipe = Pipe()
        test.standardOutput = pipe
        test.standardError = pipe
        try test.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        test.waitUntilExit()
        XCTAssertEqual(test.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("Executed 1 test"), output)
    }
}
