import XCTest
@testable import LSTMKit

/// The products behind every layer (OpenBLAS sgemm, and sgemv row by row for a few rows) and the C Adam
/// kernel: checked against plain Double references on shapes with ragged edges.
final class KernelsTests: XCTestCase {
    private var generator = SeededGenerator(seed: 7)

    private func randomFloats(_ n: Int) -> [Float] {
        (0..<n).map { _ in Float.random(in: -1...1, using: &generator) }
    }

    /// Runs `BLAS.gemm` (sgemm, or sgemv per row for a few rows) against a Double product.
    private func checkProduct(transB: Bool, m: Int, n: Int, k: Int, beta: Float, padB: Int = 5) {
        let lda = k + 3, ldb = (transB ? k : n) + padB, ldc = n + 2
        let a = randomFloats(m * lda), b = randomFloats((transB ? n : k) * ldb)
        var c = randomFloats(m * ldc)
        var expected = c
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(a[i * lda + p]) * Double(transB ? b[j * ldb + p] : b[p * ldb + j]) }
                expected[i * ldc + j] = Float(s + Double(beta) * Double(c[i * ldc + j]))
            }
        }
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            BLAS.gemm(transB: transB, m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                      beta: beta, c: cp.baseAddress!, ldc: ldc)
        } } }
        var worst: Float = 0
        for i in 0..<m { for j in 0..<n { worst = max(worst, abs(c[i * ldc + j] - expected[i * ldc + j])) } }
        XCTAssertLessThan(worst, 1e-5 * Float(max(k, 1)).squareRoot(),
                          "transB \(transB) m \(m) n \(n) k \(k) beta \(beta): max difference \(worst)")
    }

    func testSmallBatchProductsMatchAReferenceOnRaggedShapes() {
        for m in [1, 5, 8, 9, 15, 33, 64] {
            for (n, k) in [(16, 1), (17, 3), (45, 16), (64, 17), (512, 128)] {
                for beta: Float in [0, 1] {
                    checkProduct(transB: false, m: m, n: n, k: k, beta: beta)
                    checkProduct(transB: true, m: m, n: n, k: k, beta: beta)
                }
            }
        }
        // Unpadded weights with long rows (k above 256).
        for m in [9, 33] {
            for (n, k) in [(512, 300), (1024, 600), (256, 256)] {
                for beta: Float in [0, 1] { checkProduct(transB: false, m: m, n: n, k: k, beta: beta, padB: 0) }
            }
        }
    }

    func testAdamKernelIsBitwiseTheScalarFormula() {
        let n = 1_003   // not a multiple of any vector width, so the scalar tail runs too
        var w = randomFloats(n), m = randomFloats(n).map { $0 * 0.1 }, v = randomFloats(n).map { $0 * $0 }
        let g = randomFloats(n)
        let (alpha, b1c, b2c, eps): (Float, Float, Float, Float) = (1e-3, 0.1, 0.001, 1e-7)
        var (we, me, ve) = (w, m, v)
        for i in 0..<n {
            me[i] += (g[i] - me[i]) * b1c
            ve[i] += (g[i] * g[i] - ve[i]) * b2c
            we[i] -= (me[i] * alpha) / (ve[i].squareRoot() + eps)
        }
        w.withUnsafeMutableBufferPointer { wp in m.withUnsafeMutableBufferPointer { mp in v.withUnsafeMutableBufferPointer { vp in
            g.withUnsafeBufferPointer { gp in
                Kernels.adamUpdate(weights: wp.baseAddress!, gradient: gp.baseAddress!, first: mp.baseAddress!,
                                   second: vp.baseAddress!, count: n, alpha: alpha, b1c: b1c, b2c: b2c, eps: eps)
            }
        } } }
        XCTAssertEqual(w, we, "weights (variant \(Kernels.variant))")
        XCTAssertEqual(m, me)
        XCTAssertEqual(v, ve)
    }

    /// Adam's update reads and writes subnormal floats as zero (they made each sqrt and divide take a
    /// microcode assist late in training), and the caller's own arithmetic keeps its subnormals.
    func testAdamFlushesSubnormalsOnlyInsideTheUpdate() throws {
        #if !arch(x86_64)
        throw XCTSkip("the flush uses x86's MXCSR; other architectures keep subnormals")
        #endif
        var w: [Float] = [1, 1], g: [Float] = [1e-20, 0.5], m: [Float] = [0, 0], v: [Float] = [0, 0]
        Kernels.adamUpdate(weights: &w, gradient: g, first: &m, second: &v, count: 2, alpha: 1e-3, b1c: 0.1, b2c: 0.001, eps: 1e-7)
        XCTAssertEqual(v[0], 0, "g² = 1e-40 is subnormal and counts as zero")
        XCTAssertEqual(v[1], 0.25 * 0.001, accuracy: 1e-9)
        XCTAssertLessThan(w[1], 1)
        let tiny = w.isEmpty ? 1 : Float.leastNormalMagnitude * Float(g.count)   // not folded at compile time
        XCTAssertTrue((tiny / 8).isSubnormal, "the flush mode leaked out of the Adam kernel")
    }

    /// OpenBLAS 0.3.21 falls back to its SSE3 ("Prescott") kernels on CPU models it does not know,
    /// although the CPU has AVX2 or AVX-512: every product then runs ~2.5x slower. LSTMKit must end up
    /// with a kernel set that uses the wide registers whenever the CPU has them.
    func testOpenBLASUsesKernelsMatchingTheCPU() throws {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo flags on this machine")
        }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        guard flags.contains("avx2"), flags.contains("fma"), ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else {
            throw XCTSkip("CPU without AVX2/FMA, or OPENBLAS_CORETYPE set by the user")
        }
        let core = LSTMKit.blasCore
        let name = core.split(separator: " ").first.map { String($0).lowercased() } ?? ""
        XCTAssertFalse(["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "unknown"].contains(name),
                       "OpenBLAS runs \(core) on a CPU with AVX2")
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) && core.contains("chose") {
            XCTAssertTrue(core.hasPrefix("SkylakeX"), core)
        }
        // The switch must leave products correct: one large product against Double.
        checkProduct(transB: false, m: 64, n: 512, k: 256, beta: 0)
    }
}

/// Large batches split each timestep's rows across threads (`Parallel.rows` on the spinning helper pool);
/// every row must come out as if it ran alone.
final class ParallelStepTests: XCTestCase {
    func testRowParallelLSTMStepsMatchOneSampleAtATime() throws {
        LSTMKit.setRandomSeed(3)
        let batch = 64, steps = 6, features = 5
        let lstm = LSTM(units: 64, returnSequences: true)
        XCTAssertGreaterThanOrEqual(batch * 4 * 64, Parallel.threshold, "the batch must take the parallel path")
        let x = try Tensor.randomUniform([batch, steps, features], low: -1, high: 1)
        for _ in 0..<3 {   // repeated calls reuse the pool's helpers between jobs
            let whole = try lstm.apply([x], training: true)
            let dy = try Tensor(repeating: 0.5, shape: whole.outputs[0].shape)
            for p in lstm.parameters { p.zeroGrad() }
            let dxWhole = try whole.pullback([dy])[0]!
            let gradsWhole = lstm.parameters.map(\.grad)
            var gradsRows = try lstm.parameters.map { try Tensor.zeros($0.value.shape) }
            for b in 0..<batch {
                let xb = try x[b..<(b + 1)]
                let one = try lstm.apply([xb], training: true)
                for p in lstm.parameters { p.zeroGrad() }
                let dxb = try one.pullback([try dy[b..<(b + 1)]])[0]!
                XCTAssertTrue(try one.outputs[0].isAlmostEqual(to: try whole.outputs[0][b..<(b + 1)], rtol: 1e-5, atol: 1e-6), "row \(b)")
                XCTAssertTrue(try dxb.isAlmostEqual(to: try dxWhole[b..<(b + 1)], rtol: 1e-5, atol: 1e-6), "dx row \(b)")
                for (i, p) in lstm.parameters.enumerated() { gradsRows[i] = try gradsRows[i] + p.grad }
            }
            for (whole, rows) in zip(gradsWhole, gradsRows) {
                XCTAssertTrue(whole.isAlmostEqual(to: rows, rtol: 1e-4, atol: 1e-5), "weight gradients summed over rows")
            }
        }
    }

    /// A split step (units across cores, or batch rows for narrow layers) with a sequence mask, dropout
    /// masks and given initial states must give, row by row, what the one-row pass in Keras's gate order
    /// gives: outputs, final states, input and state gradients, and weight gradients summed over rows.
    private func checkSplitMatchesOneRow(units U: Int, batch B: Int = 64, inGroups: Int?, recGroups: Int?, masked: Bool,
                                         expectUnitSplit: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        LSTMKit.setRandomSeed(4)
        let T = 5, D = 3
        let lstm = LSTM(units: U, returnSequences: true)
        _ = try lstm.apply([try Tensor.zeros([1, T, D])])   // builds the weights
        let layout = GateLayout(gates: 4, units: U, batch: B, elementwise: true)
        XCTAssertGreaterThan(layout.parts, 1, "the batch must take a split path", file: file, line: line)
        XCTAssertEqual(layout.chunks.count > 1, expectUnitSplit, file: file, line: line)
        XCTAssertEqual(GateLayout(gates: 4, units: U, batch: 1, elementwise: true).parts, 1)
        let x = try Tensor.randomUniform([B, T, D], low: -1, high: 1)
        let h0 = try Tensor.randomUniform([B, U], low: -0.5, high: 0.5), c0 = try Tensor.randomUniform([B, U], low: -0.5, high: 0.5)
        let inDrop = inGroups.map { Recurrent.dropMask([$0, B, D], rate: 0.2) }
        let recDrop = recGroups.map { Recurrent.dropMask([$0, B, U], rate: 0.3) }
        let mask = masked ? Tensor(uncheckedShape: [B, T], scalars: (0..<(B * T)).map { ($0 / T + $0 % T) % 4 == 0 ? 0 : 1 }) : nil
        let dSeq = try Tensor.randomUniform([B, T, U], low: -1, high: 1)
        let dH = try Tensor.randomUniform([B, U], low: -1, high: 1), dC = try Tensor.randomUniform([B, U], low: -1, high: 1)

        /// Row b of axis 1 of a (groups, B, k) mask.
        func maskRow(_ m: Tensor, _ b: Int) -> Tensor {
            let g = m.shape[0], k = m.shape[2]
            var rows = [Float]()
            for group in 0..<g {
                let start = (group * B + b) * k
                rows += m.scalars[start..<(start + k)]
            }
            return Tensor(uncheckedShape: [g, 1, k], scalars: rows)
        }
        for p in lstm.parameters { p.zeroGrad() }
        let whole = lstm.recurrence(x: x, initial: [h0, c0], mask: mask, inputDropMask: inDrop, recurrentDropMask: recDrop)
        let (dxWhole, dInitWhole) = whole.pullback(dSeq, [dH, dC])
        let gradsWhole = lstm.parameters.map(\.grad)
        var gradsRows = try lstm.parameters.map { try Tensor.zeros($0.value.shape) }
        for b in 0..<B {
            let r = b..<(b + 1)
            for p in lstm.parameters { p.zeroGrad() }
            let one = lstm.recurrence(x: try x[r], initial: [try h0[r], try c0[r]], mask: try mask?[r],
                                      inputDropMask: inDrop.map { maskRow($0, b) }, recurrentDropMask: recDrop.map { maskRow($0, b) })
            let (dx, dInit) = one.pullback(try dSeq[r], [try dH[r], try dC[r]])
            XCTAssertTrue(one.sequence.isAlmostEqual(to: try whole.sequence[r], rtol: 1e-5, atol: 1e-6), "outputs, row \(b)", file: file, line: line)
            for i in 0..<2 {
                XCTAssertTrue(one.finalStates[i].isAlmostEqual(to: try whole.finalStates[i][r], rtol: 1e-5, atol: 1e-6),
                              "state \(i), row \(b)", file: file, line: line)
                XCTAssertTrue(dInit[i].isAlmostEqual(to: try dInitWhole[i][r], rtol: 1e-4, atol: 1e-5), "d state \(i), row \(b)",
                              file: file, line: line)
            }
            XCTAssertTrue(dx.isAlmostEqual(to: try dxWhole[r], rtol: 1e-4, atol: 1e-5), "dx, row \(b)", file: file, line: line)
            for (i, p) in lstm.parameters.enumerated() { gradsRows[i] = try gradsRows[i] + p.grad }
        }
        for (i, (whole, rows)) in zip(gradsWhole, gradsRows).enumerated() {
            XCTAssertTrue(whole.isAlmostEqual(to: rows, rtol: 1e-4, atol: 1e-5), "gradient of weight \(i) summed over rows",
                          file: file, line: line)
        }
    }

    /// Uneven unit chunks (16 and 32 units on two cores) with per-gate input and recurrent dropout.
    func testUnitSplitStepsMatchOneRowWithMasksAndPerGateDropout() throws {
        try checkSplitMatchesOneRow(units: 48, inGroups: 4, recGroups: 4, masked: true, expectUnitSplit: true)
    }

    /// The one-buffer [x, h] path: input dropout with one mask group (Keras's `dropout` without
    /// `recurrentDropout`) must reach both the forward product and the kernel gradient.
    func testUnitSplitStepsMatchOneRowWithInputDropout() throws {
        try checkSplitMatchesOneRow(units: 48, inGroups: 1, recGroups: nil, masked: true, expectUnitSplit: true)
    }

    /// Too few units to cut: the batch rows are split instead, here with a one-group recurrent mask.
    func testNarrowLayerSplitsRowsAndMatchesOneRow() throws {
        try checkSplitMatchesOneRow(units: 16, batch: 160, inGroups: nil, recGroups: 1, masked: true, expectUnitSplit: false)
    }

    /// One recurrent mask shared by the gates must act exactly like the same mask given once per gate,
    /// forward and backward (serial, row-split and unit-split passes).
    func testOneRecurrentMaskGroupEqualsTheSameMaskPerGate() throws {
        for (units, batch) in [(16, 4), (16, 160), (48, 64)] {
            LSTMKit.setRandomSeed(6)
            let T = 4, D = 3
            let lstm = LSTM(units: units, returnSequences: true)
            _ = try lstm.apply([try Tensor.zeros([1, T, D])])
            let x = try Tensor.randomUniform([batch, T, D], low: -1, high: 1)
            let zeros = try Tensor.zeros([batch, units])
            let one = Recurrent.dropMask([1, batch, units], rate: 0.3)
            let four = Tensor(uncheckedShape: [4, batch, units], scalars: Array([[Float]](repeating: one.scalars, count: 4).joined()))
            let dSeq = try Tensor.randomUniform([batch, T, units], low: -1, high: 1)
            var results: [(Tensor, Tensor, [Tensor])] = []
            for m in [one, four] {
                for p in lstm.parameters { p.zeroGrad() }
                let r = lstm.recurrence(x: x, initial: [zeros, zeros], mask: nil, inputDropMask: nil, recurrentDropMask: m)
                let (dx, _) = r.pullback(dSeq, [nil, nil])
                results.append((r.sequence, dx, lstm.parameters.map(\.grad)))
            }
            XCTAssertTrue(results[0].0.isAlmostEqual(to: results[1].0, rtol: 1e-5, atol: 1e-6), "outputs, units \(units), batch \(batch)")
            XCTAssertTrue(results[0].1.isAlmostEqual(to: results[1].1, rtol: 1e-4, atol: 1e-6), "dx, units \(units), batch \(batch)")
            for (a, b) in zip(results[0].2, results[1].2) {
                XCTAssertTrue(a.isAlmostEqual(to: b, rtol: 1e-4, atol: 1e-6), "weight gradients, units \(units), batch \(batch)")
            }
        }
    }

    /// The fused C row kernels compute exactly what the generic Swift cell computes (sigmoid gates,
    /// tanh or relu), forward and backward, so the fused path changes no digit.
    func testFusedCellKernelsAreBitwiseTheGenericCell() {
        var generator = SeededGenerator(seed: 11)
        let w = 37
        for act in [Activation.tanh, .relu] {
            let z0 = (0..<(4 * w)).map { _ in Float.random(in: -3...3, using: &generator) }
            let bias = (0..<(4 * w)).map { _ in Float.random(in: -1...1, using: &generator) }
            let c0 = (0..<w).map { _ in Float.random(in: -2...2, using: &generator) }
            // Fused forward.
            var zf = z0, cf = c0, tcf = [Float](repeating: 0, count: w), hf = tcf, of = tcf
            Kernels.lstmForwardRow(z: &zf, bias: bias, c: &cf, tc: &tcf, h: &hf, out: &of, width: w, relu: act == .relu)
            // Generic forward, as LSTM.recurrence writes it.
            var zg = z0, cg = c0, tcg = [Float](repeating: 0, count: w), hg = tcg
            for k in 0..<(4 * w) { zg[k] += bias[k] }
            zg.withUnsafeMutableBufferPointer { zp in
                Activation.sigmoid.apply(zp.baseAddress!, count: 2 * w, rowLength: 2 * w)
                act.apply(zp.baseAddress! + 2 * w, count: w, rowLength: w)
                Activation.sigmoid.apply(zp.baseAddress! + 3 * w, count: w, rowLength: w)
            }
            for k in 0..<w { let cn = zg[w + k] * cg[k] + zg[k] * zg[2 * w + k]; cg[k] = cn; tcg[k] = cn }
            tcg.withUnsafeMutableBufferPointer { act.apply($0.baseAddress!, count: w, rowLength: w) }
            for k in 0..<w { hg[k] = zg[3 * w + k] * tcg[k] }
            XCTAssertEqual(zf, zg, "gates, \(act)"); XCTAssertEqual(cf, cg); XCTAssertEqual(tcf, tcg); XCTAssertEqual(hf, hg); XCTAssertEqual(of, hg)

            // Backward from the same cache.
            let cPrev = c0, dOut = (0..<w).map { _ in Float.random(in: -1...1, using: &generator) }
            let dh0 = (0..<w).map { _ in Float.random(in: -1...1, using: &generator) }
            let dc0 = (0..<w).map { _ in Float.random(in: -1...1, using: &generator) }
            let carry0 = (0..<w).map { _ in Float.random(in: -1...1, using: &generator) }
            var dhF = dh0, dcF = dc0, carryF = carry0, dzF = [Float](repeating: 0, count: 4 * w)
            Kernels.lstmBackwardRow(z: zg, tc: tcg, cPrev: cPrev, dOut: dOut, dh: &dhF, carry: &carryF, dc: &dcF, dz: &dzF,
                                    width: w, relu: act == .relu)
            var dhG = dh0, dcG = dc0, carryG = carry0, dzG = [Float](repeating: 0, count: 4 * w), dtc = [Float](repeating: 0, count: w)
            for k in 0..<w { carryG[k] += dOut[k] }
            for k in 0..<w { dhG[k] += carryG[k]; carryG[k] = 0 }
            for k in 0..<w { dzG[3 * w + k] = dhG[k] * tcg[k]; dtc[k] = dhG[k] * zg[3 * w + k] }
            tcg.withUnsafeBufferPointer { t in dtc.withUnsafeMutableBufferPointer { act.backward(output: t.baseAddress!, grad: $0.baseAddress!, count: w, rowLength: w) } }
            for k in 0..<w {
                let dck = dcG[k] + dtc[k]
                dzG[k] = dck * zg[2 * w + k]; dzG[w + k] = dck * cPrev[k]; dzG[2 * w + k] = dck * zg[k]; dcG[k] = dck * zg[w + k]
            }
            zg.withUnsafeBufferPointer { zp in dzG.withUnsafeMutableBufferPointer { dp in
                Activation.sigmoid.backward(output: zp.baseAddress!, grad: dp.baseAddress!, count: 2 * w, rowLength: 2 * w)
                act.backward(output: zp.baseAddress! + 2 * w, grad: dp.baseAddress! + 2 * w, count: w, rowLength: w)
                Activation.sigmoid.backward(output: zp.baseAddress! + 3 * w, grad: dp.baseAddress! + 3 * w, count: w, rowLength: w)
            } }
            XCTAssertEqual(dzF, dzG, "d gates, \(act)"); XCTAssertEqual(dhF, dhG); XCTAssertEqual(dcF, dcG); XCTAssertEqual(carryF, carryG)
        }
    }

    /// predict and calling a model run without gradient caches; their outputs must be exactly those
    /// of the forward pass that keeps them (both on the unit-split path and on the serial one). Through
    /// oneDNN, inference and training use different kernels, whose results agree to rounding.
    func testForwardWithoutGradientCachesGivesTheSameOutputs() throws {
        defer { LSTMKit.useOneDNN = true }
        for (batch, oneDNN) in [(64, false), (3, false), (64, true), (3, true)] {
            LSTMKit.useOneDNN = oneDNN
            LSTMKit.setRandomSeed(5)
            let input = Input(shape: [7, 4])
            let seq = try LSTM(units: 32, returnSequences: true)(input)
            let outs = try LSTM(units: 32, returnState: true).callAll(seq as SymbolicTensorConvertible)
            let model = try Model(inputs: [input], outputs: outs)
            let x = try Tensor.randomUniform([batch, 7, 4], low: -1, high: 1)
            let kept = try model.forwardWithMasks([x], training: false).outputs
            let predicted = try model.predictAll([x], batchSize: batch, verbose: 0)
            let called = try model.callAll([x])
            for i in 0..<3 where !oneDNN {
                XCTAssertEqual(predicted[i].scalars, kept[i].scalars, "predict output \(i), batch \(batch)")
                XCTAssertEqual(called[i].scalars, kept[i].scalars, "model(x) output \(i), batch \(batch)")
            }
            for i in 0..<3 where oneDNN {
                assertClose(predicted[i], kept[i], rtol: 1e-5, atol: 1e-6, "oneDNN predict output \(i), batch \(batch)")
                assertClose(called[i], kept[i], rtol: 1e-5, atol: 1e-6, "oneDNN model(x) output \(i), batch \(batch)")
            }
        }
    }

    func testHelperPoolRunsEveryChunkOncePerJob() {
        var counts = [Int](repeating: 0, count: 4), expected = [Int](repeating: 0, count: 4)
        for job in 0..<2_000 {
            let chunks = 1 + job % 4   // growing chunk counts start helpers between jobs
            let ran = counts.withUnsafeMutableBufferPointer { slots in
                Kernels.parallelChunks(chunks) { slots[$0] += 1 }   // each chunk writes only its own slot
            }
            XCTAssertTrue(ran, "job \(job) was refused")
            for c in 0..<chunks { expected[c] += 1 }
        }
        XCTAssertEqual(counts, expected)
    }

    /// Between these jobs the helper goes to sleep (it spins 200 µs), so it wakes after the caller has
    /// finished chunk 0 and the caller claims the helper's chunk itself: still exactly once per job.
    func testHelperPoolRunsEveryChunkOnceWhenTheCallerTakesOver() {
        var counts = [Int](repeating: 0, count: 2)
        for job in 0..<200 {
            if job % 2 == 0 { usleep(1_000) }
            let ran = counts.withUnsafeMutableBufferPointer { slots in
                Kernels.parallelChunks(2) { slots[$0] += 1 }
            }
            XCTAssertTrue(ran, "job \(job) was refused")
        }
        XCTAssertEqual(counts, [200, 200])
    }
}
