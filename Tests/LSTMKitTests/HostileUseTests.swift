import Foundation
import XCTest
@testable import LSTMKit

/// Calls a hurried or hostile user makes that crashed or hung the process; each must now throw a clear error
/// (or, where the API cannot throw, do something defined) and leave the library usable.
final class HostileUseTests: XCTestCase {
    private func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let e as LSTMKitError { return e.message } catch { return "\(error)" }
    }

    /// numpy habits on partial ranges: a[:-1], a[5:] past the end (Swift trapped while forming the Range).
    func testPartialRangeSlicesOutOfRangeThrow() throws {
        let t = try Tensor.arange([2, 3])
        XCTAssertEqual(message { _ = try t[..<(-1)] }, "slice ..<-1 is out of range for axis 0 with size 2")
        XCTAssertEqual(message { _ = try t[5...] }, "slice 5... is out of range for axis 0 with size 2")
        XCTAssertEqual(message { _ = try Tensor(3)[1...] }, "cannot slice a scalar tensor")
        XCTAssertEqual(try t[2...].shape, [0, 3])
        XCTAssertEqual(try t[..<1].scalars, [0, 1, 2])
    }

    /// Random bounds that Swift's `Float.random(in:)` traps on.
    func testRandomBoundsAreCheckedOrDefined() throws {
        XCTAssertEqual(message { _ = try Tensor.randomUniform([3], low: 1, high: 0) },
                       "Tensor.randomUniform expects finite low <= high, got low 1.0, high 0.0")
        XCTAssertEqual(message { _ = try Tensor.randomUniform([3], low: -.infinity, high: .infinity) },
                       "Tensor.randomUniform expects finite low <= high, got low -inf, high inf")
        XCTAssertEqual(try Tensor.randomUniform([3], low: 2, high: 2).scalars, [2, 2, 2])
        XCTAssertEqual(LSTMKit.uniform(1, 1), 1)
        XCTAssertEqual(LSTMKit.uniform(1, 0), 1)
        XCTAssertEqual(LSTMKit.permutation(-1), [])
        XCTAssertEqual(LSTMKit.permutation(0), [])
    }

    /// The random functions called inside `withGenerator` (the docs suggest it for shuffling) waited forever
    /// for the lock the same thread held.
    func testRandomFunctionsInsideWithGeneratorDoNotHang() {
        let done = DispatchSemaphore(value: 0)
        var result: [Int] = []
        Thread {
            result = LSTMKit.withGenerator { g in
                _ = g.next()
                return LSTMKit.permutation(4) + [Int(LSTMKit.uniform(0, 1) * 0)]
            }
            done.signal()
        }.start()
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success, "LSTMKit.permutation inside withGenerator hung")
        XCTAssertEqual(result.count, 5)
        // The generator still works afterwards, and reseeding still reproduces.
        LSTMKit.setRandomSeed(7)
        let a = LSTMKit.permutation(6)
        LSTMKit.setRandomSeed(7)
        XCTAssertEqual(LSTMKit.permutation(6), a)
    }

    /// Keras accepts any batch size; Int.max overflowed computing the batches.
    func testHugeBatchSizesMeanTheWholeData() throws {
        let model = try Sequential([Input(shape: [3, 2]), LSTM(units: 4), Dense(units: 1)])
        model.compile(optimizer: Adam(), loss: .mse)
        let x = try Tensor.randomUniform([6, 3, 2]), y = try Tensor.randomUniform([6, 1])
        XCTAssertEqual(try model.fit(x, y, epochs: 1, batchSize: Int.max, verbose: 0)["loss"]?.count, 1)
        XCTAssertEqual(try model.predict(x, batchSize: Int.max, verbose: 0).shape, [6, 1])
        XCTAssertNotNil(try model.evaluate(x, y, batchSize: Int.max, verbose: 0)["loss"])
        XCTAssertNotNil(try model.fit(x, y, epochs: 1, batchSize: Int.max, verbose: 0, validationSplit: 0.5)["val_loss"])
    }

    /// A layer's own pullback given too few gradients or gradients of the wrong shape (index out of range,
    /// reads past a buffer, heap corruption before).
    func testLayerPullbackChecksItsGradients() throws {
        let x = try Tensor.zeros([2, 4, 5])
        let lstm = LSTM(units: 3, returnState: true)
        let r = try lstm.apply([x], training: true)
        XCTAssertEqual(message { _ = try r.pullback([]) }, "LSTM '\(lstm.name)' pullback expects 3 output gradient(s), got 0")
        XCTAssertEqual(message { _ = try r.pullback([Tensor([1]), nil, nil]) },
                       "gradient for output 0 of LSTM '\(lstm.name)' expects shape (2, 3), got (1,)")
        let masking = Masking()
        let m = try masking.apply([try Tensor.zeros([64, 64, 64])], training: true)
        XCTAssertEqual(message { _ = try m.pullback([Tensor([1])]) },
                       "gradient for output 0 of Masking '\(masking.name)' expects shape (64, 64, 64), got (1,)")
        XCTAssertEqual(try r.pullback([try Tensor.ones([2, 3]), nil, nil])[0]?.shape, [2, 4, 5])
    }

    /// Two threads fitting the same model updated the same weights and slots at once (a segfault in the
    /// optimizer): a model's fits now take turns, and so do all training steps (models may share layers).
    func testTwoThreadsFittingTheSameModelTakeTurns() throws {
        let model = try Sequential([Input(shape: [5, 3]), LSTM(units: 16), Dense(units: 1)])
        model.compile(optimizer: Adam(), loss: .mse)
        let x = try Tensor.randomUniform([32, 5, 3]), y = try Tensor.randomUniform([32, 1])
        var fits = [0, 0], losses: [Float] = []
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            for _ in 0..<10 {
                guard let h = try? model.fit(x, y, epochs: 2, batchSize: 8, verbose: 0) else { break }
                lock.lock(); fits[i] += 1; losses += h["loss"] ?? []; lock.unlock()
            }
        }
        XCTAssertEqual(fits, [10, 10])
        XCTAssertFalse(losses.isEmpty)
        XCTAssertTrue(losses.allSatisfy(\.isFinite))
        XCTAssertTrue(model.getWeights().allSatisfy { $0.scalars.allSatisfy(\.isFinite) })
    }

    /// Sizes near Int.max overflowed in arithmetic before any check (a trap instead of an error).
    func testHugeSizesThrowInsteadOfOverflowing() throws {
        XCTAssertEqual(message { _ = try Tensor.zeros([1 << 40, 1 << 40, 0]) },
                       "Tensor.zeros of shape (1099511627776, 1099511627776, 0) has extents whose product does not fit in an Int")
        let t = try Tensor.arange([2, 3])
        XCTAssertEqual(message { _ = try t.reshaped([Int.max, 2]) },
                       "cannot reshape tensor of shape (2, 3) (6 elements) into (\(Int.max), 2)")
        XCTAssertEqual(message { _ = try t.reshaped([-1, Int.max, 2]) },
                       "cannot reshape tensor of shape (2, 3) (6 elements) into (-1, \(Int.max), 2)")
        XCTAssertNotNil(message { _ = try oneHot([1, 2], classes: Int.max) })
        XCTAssertNotNil(message { _ = try padSequences([[1], [2]], maxlen: Int.max) })
        XCTAssertEqual(message { _ = try temporalize(try Tensor.arange([9, 2]), lookback: Int.max) },
                       "temporalize with lookback \(Int.max) needs at least lookback + 2 rows, got 9")
        let repeated = RepeatVector(1 << 62)
        XCTAssertNotNil(message { _ = try repeated(try Tensor.ones([2, 3])) })
        let model = try Sequential([Input(shape: [3, 2]), LSTM(units: 4), Dense(units: 1)])
        XCTAssertEqual(model.summaryText(lineLength: Int.max), model.summaryText(lineLength: 1 << 20))
    }

    /// A scaler decoded from mismatched JSON, and a constraint applied by hand to a weight its axis does not fit
    /// (index out of range before).
    func testMismatchedScalerAndConstraintAxisDoNotTrap() throws {
        let scaler = try JSONDecoder().decode(StandardScaler.self, from: Data(#"{"mean":[0,0,0],"scale":[1]}"#.utf8))
        XCTAssertEqual(message { _ = try scaler.transform(try Tensor.ones([2, 3])) },
                       "StandardScaler has 3 means but 1 scales (decoded from mismatched data?); fit it again")
        let v = try Tensor([1, 2, 3])
        XCTAssertEqual(Constraint.maxNorm(maxValue: 2, axis: 1).apply(v), v)
        XCTAssertEqual(Constraint.unitNorm(axis: -5).apply(v), v)
        XCTAssertEqual(Constraint.unitNorm(axis: 0).apply(try Tensor([3, 4])).scalars.map { ($0 * 10).rounded() / 10 }, [0.6, 0.8])
    }

    /// A user's maker registered under a built-in class name ("LSTM") made `Bidirectional(LSTM(...))` trap:
    /// it copied the layer through the registry. It copies by the layer's own class now.
    func testARegistryOverrideDoesNotBreakBidirectional() throws {
        LayerRegistry.register("LSTM") { _ in Dense(units: 1) }
        defer { LayerRegistry.register("LSTM") { try LSTM(config: $0) } }
        let b = Bidirectional(LSTM(units: 2))
        XCTAssertTrue(b.forwardLayer is LSTM && b.backwardLayer is LSTM)
        XCTAssertEqual(try b(try Tensor.ones([1, 3, 2])).shape, [1, 4])
    }
}
