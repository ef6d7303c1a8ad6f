import XCTest
@testable import LSTMKit

/// The opt-in split of small products and of the optimizer by weight rows (`WeightRows`): each product and
/// each update must give what the one-core path gives, whichever core computes which rows.
final class WeightRowsTests: XCTestCase {
    private var generator = SeededGenerator(seed: 11)
    private var savedChunks = 1
    private var savedMode = WeightRows.Mode.measured

    override func setUp() {
        super.setUp()
        savedChunks = WeightRows.chunks
        savedMode = WeightRows.mode
        WeightRows.mode = .on   // whatever the hand-off measures on the test machine
    }

    override func tearDown() {
        WeightRows.chunks = savedChunks
        WeightRows.mode = savedMode
        super.tearDown()
    }

    private func randomFloats(_ n: Int) -> [Float] {
        (0..<n).map { _ in Float.random(in: -1...1, using: &generator) }
    }

    /// `BLAS.gemm` with `split` on two owners against the same call on one; returns the largest difference.
    private func splitAgainstSerial(_ split: WeightRows.Operand, transA: Bool = false, transB: Bool = false,
                                    m: Int, n: Int, k: Int, beta: Float) -> Float {
        let lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 3, ldc = n + 2
        let a = randomFloats((transA ? k : m) * lda), b = randomFloats((transB ? n : k) * ldb), c0 = randomFloats(m * ldc)
        func run(chunks: Int, mode: WeightRows.Mode = .on) -> [Float] {
            WeightRows.chunks = chunks
            WeightRows.mode = mode
            var c = c0
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!,
                          ldb: ldb, beta: beta, c: cp.baseAddress!, ldc: ldc, split: split)
            } } }
            return c
        }
        let one = run(chunks: 1), two = run(chunks: 2), twoInTurn = run(chunks: 2, mode: .off)
        // Whether the blocks run concurrently changes nothing in the result.
        XCTAssertEqual(two, twoInTurn, "\(split): concurrent blocks differ from the same blocks in turn")
        // Padding columns of C are never written.
        for i in 0..<m { for j in n..<ldc { XCTAssertEqual(two[i * ldc + j], c0[i * ldc + j], "padding (\(i), \(j)) of \(split)") } }
        return zip(one, two).map { abs($0 - $1) }.max() ?? 0
    }

    func testProductsSplitByWeightRowsMatchOneCore() {
        // x·kernel and h·recurrentKernel: partial sums over the weight's rows (order of the sum changes).
        XCTAssertLessThan(splitAgainstSerial(.k, m: 5, n: 512, k: 128, beta: 1), 1e-5)
        XCTAssertLessThan(splitAgainstSerial(.k, m: 15, n: 256, k: 67, beta: 0), 1e-5)
        // Weight gradients xᵀ·dz: each owner computes its rows of C (OpenBLAS may block a part differently
        // from the whole, so the last bit can differ).
        XCTAssertLessThan(splitAgainstSerial(.m, transA: true, m: 129, n: 256, k: 15, beta: 1), 1e-5)
        // Input gradients dz·kernelᵀ: each owner computes its columns of C.
        XCTAssertLessThan(splitAgainstSerial(.n, transB: true, m: 5, n: 131, k: 512, beta: 0), 1e-5)
    }

    /// In the default mode the decision measures the hand-off, which a user can read; the public switch
    /// turns concurrency off (the blocks, and so the results, stay: see the tests above).
    func testMeasuredModeRecordsTheHandoffAndThePublicSwitch() {
        WeightRows.chunks = 2
        WeightRows.mode = .measured
        _ = WeightRows.runsConcurrently
        let handoff = LSTMKit.coreHandoffNanoseconds
        XCTAssertNotNil(handoff, "no hand-off was measured")
        XCTAssertGreaterThan(handoff ?? 0, 0)
        LSTMKit.splitsSmallProducts = false
        XCTAssertEqual(WeightRows.mode, .off)
        XCTAssertFalse(WeightRows.runsConcurrently)
        LSTMKit.splitsSmallProducts = true
        XCTAssertEqual(WeightRows.mode, .measured)
    }

    func testSmallWeightsAndProductsStayWhole() {
        WeightRows.chunks = 2
        XCTAssertFalse(WeightRows.splits(rows: 8, work: 1 << 20), "fewer rows than minimumRows")
        XCTAssertFalse(WeightRows.splits(rows: 128, work: 100), "less work than minimumWork")
        XCTAssertTrue(WeightRows.splits(rows: 128, work: 5 * 128 * 512))
        // Large products keep BLAS's own split.
        XCTAssertEqual(splitAgainstSerial(.n, transB: true, m: 3200, n: 32, k: 1024, beta: 0), 0)
        var ranges: [Range<Int>] = []
        WeightRows.forEachOwnedRange(rows: 2, count: 1024) { ranges.append($0) }
        XCTAssertEqual(ranges, [0..<1024])
    }

    func testOwnedRangesCoverEachRowOnce() {
        WeightRows.chunks = 2
        var covered = [Int](repeating: 0, count: 129 * 256)
        covered.withUnsafeMutableBufferPointer { c in
            // Each owner writes only its own range.
            WeightRows.forEachOwnedRange(rows: 129, count: 129 * 256) { r in for i in r { c[i] += 1 } }
        }
        XCTAssertEqual(Set(covered), [1])
        // The optimizer's per-owner ranges: every element exactly once, whole weights to owner 0 only, and a
        // split weight's owners each get a non-empty block of whole rows.
        for chunks in 2...4 {
            WeightRows.chunks = chunks
            for (rows, columns) in [(1, 8), (15, 4), (16, 1024), (17, 3), (129, 512), (64, 256), (3, 0)] {
                let count = rows * columns
                var hits = [Int](repeating: 0, count: count)
                var owners = 0
                for owner in 0..<chunks {
                    guard let r = WeightRows.ownedRange(owner, rows: rows, count: count) else { continue }
                    owners += 1
                    XCTAssertEqual(r.lowerBound % Swift.max(columns, 1), 0, "\(rows)×\(columns): owner \(owner) starts inside a row")
                    for i in r { hits[i] += 1 }
                }
                XCTAssertTrue(hits.allSatisfy { $0 == 1 }, "\(rows)×\(columns), \(chunks) owners: some element updated \(hits.max() ?? 0) or 0 times")
                let split = WeightRows.splits(rows: rows, work: count)
                XCTAssertEqual(owners, count == 0 ? 0 : split ? chunks : 1, "\(rows)×\(columns), \(chunks) owners")
            }
        }
    }

    /// Only matrices whose products the layers split by rows are updated by rows: splitting the update of a
    /// vector that one core reduces would move its lines between the cores on every step.
    func testOnlyMatricesWithSplitProductsAreOwnedByRows() throws {
        let model = try Sequential([Input(shape: [3, 2]), LSTM(units: 32, returnSequences: true, name: "rnn"),
                                    GRU(units: 8, returnSequences: true, name: "gru"), SimpleRNN(units: 4, name: "simple"),
                                    Dense(units: 64, name: "head")])
        let owned = Set(model.parameters.filter(\.ownedByRows).map(\.path))
        XCTAssertEqual(owned, ["rnn/kernel", "rnn/recurrent_kernel", "gru/kernel", "gru/recurrent_kernel",
                               "simple/kernel", "simple/recurrent_kernel", "head/kernel"])
        XCTAssertEqual(model.parameters.first { $0.path == "head/bias" }?.ownedRows, 1)
        XCTAssertEqual(model.parameters.first { $0.path == "rnn/kernel" }?.ownedRows, 2)
    }

    /// The optimizers are elementwise, so updating each owner's rows on its own core must be bit-identical.
    func testOptimizersGiveTheSameWeightsSplitOrNot() throws {
        for make in [{ Adam() as Optimizer }, { SGD(learningRate: 0.1, momentum: 0.9, nesterov: true) },
                     { RMSprop(momentum: 0.5, centered: true) }] {
            var finals: [[Float]] = []
            for chunks in [1, 2] {
                WeightRows.chunks = chunks
                generator = SeededGenerator(seed: 3)
                let p = Parameter(try Tensor(shape: [64, 256], scalars: randomFloats(64 * 256)), name: "kernel", layerName: "lstm")
                p.ownedByRows = true
                let optimizer = make()
                for _ in 0..<3 {
                    p.zeroGrad()
                    XCTAssertEqual(Set(p.grad.scalars), [0], "zeroGrad with \(chunks) owner(s)")
                    p.grad = try Tensor(shape: [64, 256], scalars: randomFloats(64 * 256))
                    optimizer.update([p])
                }
                finals.append(p.value.scalars)
            }
            XCTAssertEqual(finals[0], finals[1], "\(make().className): split update differs")
        }
    }

    /// One update covers every parameter in one hand-off (each core its rows of each split matrix, the caller
    /// the rest): it must give exactly what updating them one by one gives, for split, whole and empty
    /// weights, and a parameter listed twice is updated twice, as two calls would.
    func testOneUpdateOfManyParametersMatchesOneAtATime() throws {
        WeightRows.chunks = 2
        for make in [{ Adam() as Optimizer }, { SGD(learningRate: 0.1, momentum: 0.9) }, { RMSprop(centered: true) }] {
            func parameters() throws -> [Parameter] {
                generator = SeededGenerator(seed: 5)
                // More than one batch of 32 open parameters, split and whole ones in both.
                let shapes = [[64, 256], [256], [48, 96], [0, 8], [16, 16]] + Array(repeating: [16, 4], count: 30) + [[128, 256], [7]]
                return try shapes.enumerated().map { i, shape in
                    let n = shape.reduce(1, *)
                    let p = Parameter(try Tensor(shape: shape, scalars: randomFloats(n)), name: "w\(i)", layerName: "layer")
                    p.ownedByRows = shape.count == 2
                    return p
                }
            }
            func gradients(_ ps: [Parameter], seed: UInt64) throws {
                generator = SeededGenerator(seed: seed)
                for p in ps { p.grad = try Tensor(shape: p.value.shape, scalars: randomFloats(p.count)) }
            }
            let together = try parameters(), oneByOne = try parameters()
            let a = make(), b = make()
            for step in 0..<3 {
                try gradients(together, seed: 100 + UInt64(step))
                a.update(together)
                try gradients(oneByOne, seed: 100 + UInt64(step))
                for p in oneByOne { b.update([p]); b.iterations -= 1 }
                b.iterations += 1
            }
            for (x, y) in zip(together, oneByOne) {
                XCTAssertEqual(x.value.scalars, y.value.scalars, "\(a.className): \(x.name) differs updated together")
            }
            XCTAssertEqual(a.iterations, 3)

            // Listed twice: the same as two updates with the same gradient.
            let twice = try parameters()[0], inTurn = try parameters()[0]
            let c = make(), d = make()
            try gradients([twice], seed: 7)
            c.update([twice, twice])
            try gradients([inTurn], seed: 7)
            d.update([inTurn]); d.iterations -= 1; d.update([inTurn])
            XCTAssertEqual(twice.value.scalars, inTurn.value.scalars, "\(c.className): a parameter listed twice")
            XCTAssertEqual(c.iterations, 1)
        }
    }

    /// Whether a product is computed in owner blocks must not depend on what another thread is doing. The
    /// single-threaded regions of the row-parallel loops (`Parallel.run`) are per thread: one thread inside
    /// such a region (here: held open) leaves another thread's products as they are alone, bit for bit.
    func testAnotherThreadsParallelLoopDoesNotChangeThisThreadsProducts() {
        WeightRows.chunks = 2
        let m = 5, n = 512, k = 128
        let a = randomFloats(m * k), b = randomFloats(k * n), c0 = randomFloats(m * n)
        func product() -> [Float] {
            var c = c0
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                BLAS.gemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, beta: 1,
                          c: cp.baseAddress!, ldc: n, split: .k)
            } } }
            return c
        }
        let alone = product()
        let entered = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
        Thread {
            BLAS.enterSingleThreaded()
            entered.signal()
            done.wait()
            BLAS.leaveSingleThreaded()
            finished.signal()
        }.start()
        entered.wait()
        let meanwhile = product()
        XCTAssertEqual(BLAS.singleThreadedDepth, 0, "this thread is in no single-threaded region")
        done.signal()
        finished.wait()
        XCTAssertTrue(meanwhile == alone, "a product changed while another thread was inside a row-parallel loop")
        // Inside this thread's own region the product is whole, which rounds differently.
        BLAS.enterSingleThreaded()
        let inside = product()
        BLAS.leaveSingleThreaded()
        XCTAssertFalse(inside == alone, "the test's product must tell split from whole")
    }

    /// Two threads predicting at once both decide, product by product, whether to split (reading and
    /// re-measuring the hand-off): each must get exactly its lonely outputs. (The decision's state was plain
    /// static variables written by both threads: a data race under the thread sanitizer.)
    func testTwoThreadsPredictingAtOnceGiveTheirLonelyOutputs() throws {
        WeightRows.chunks = 2
        WeightRows.mode = .measured
        LSTMKit.setRandomSeed(4)
        let x = try Tensor.randomUniform([5, 3, 2], low: 0, high: 1)
        let models = try (0..<2).map { _ in
            try Sequential([Input(shape: [3, 2]), LSTM(units: 64, activation: .relu, returnSequences: true),
                            TimeDistributed(Dense(units: 2))])
        }
        let alone = try models.map { try $0.predict(x, verbose: 0).scalars }
        var together: [[Float]] = [[], []]
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            var last: [Float] = []
            for _ in 0..<300 { last = (try? models[i].predict(x, verbose: 0).scalars) ?? [] }
            lock.lock(); together[i] = last; lock.unlock()
        }
        XCTAssertEqual(together, alone)
    }

    /// Two threads training at once contend for the step pool (one of them runs its blocks in turn): each
    /// fit must still give exactly what it gives alone.
    func testTwoThreadsTrainingAtOnceGiveTheirLonelyResults() throws {
        WeightRows.chunks = 2
        WeightRows.mode = .on
        func makeModel(seed: Int) throws -> (Sequential, Tensor) {
            LSTMKit.setRandomSeed(seed)
            let x = try Tensor.randomUniform([5, 3, 2], low: 0, high: 1)
            let model = try Sequential([
                Input(shape: [3, 2]), LSTM(units: 64, activation: .relu, returnSequences: true),
                LSTM(units: 32, activation: .relu, returnSequences: true), TimeDistributed(Dense(units: 2)),
            ])
            model.compile(optimizer: Adam(), loss: .mse)
            return (model, x)
        }
        var alone: [[Float]] = []
        for seed in [1, 2] {
            let (model, x) = try makeModel(seed: seed)
            alone.append(try model.fit(x, x, epochs: 30, batchSize: 5, verbose: 0, shuffle: false)["loss"]!)
        }
        let pairs = try [makeModel(seed: 1), makeModel(seed: 2)]
        var together: [[Float]] = [[], []]
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let (model, x) = pairs[i]
            let losses = (try? model.fit(x, x, epochs: 30, batchSize: 5, verbose: 0, shuffle: false)["loss"]) ?? []
            lock.lock(); together[i] = losses; lock.unlock()
        }
        XCTAssertEqual(together, alone)
    }

    /// A whole fit of the tutorial's autoencoder shape (relu LSTMs, batch 5): with two owners the losses are
    /// bit-identical whether the blocks run concurrently or in turn (a fit is reproducible whatever the
    /// hand-off measured), and close to one owner's.
    func testAutoencoderTrainsTheSameSplitOrNot() throws {
        var losses: [[Float]] = []
        for (chunks, mode) in [(1, WeightRows.Mode.on), (2, .on), (2, .off)] {
            WeightRows.chunks = chunks
            WeightRows.mode = mode
            LSTMKit.setRandomSeed(1)
            let x = try Tensor.randomUniform([5, 3, 2], low: 0, high: 1)
            let model = try Sequential([
                Input(shape: [3, 2]), LSTM(units: 128, activation: .relu, returnSequences: true), LSTM(units: 64, activation: .relu),
                RepeatVector(3), LSTM(units: 64, activation: .relu, returnSequences: true),
                LSTM(units: 128, activation: .relu, returnSequences: true), TimeDistributed(Dense(units: 2)),
            ])
            model.compile(optimizer: Adam(), loss: .mse)
            losses.append(try model.fit(x, x, epochs: 20, batchSize: 5, verbose: 0)["loss"]!)
        }
        XCTAssertLessThan(losses[0].last!, losses[0].first! * 0.9, "the fit must learn")
        for (a, b) in zip(losses[0], losses[1]) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(a))) }
        XCTAssertEqual(losses[1], losses[2], "concurrent and in-turn blocks must give the same fit")
    }
}
