import XCTest
@testable import LSTMKit

final class UtilitiesTests: XCTestCase {
    /// The tutorial's 9×2 series (x and x³) gives 5 windows of 3×2, starting two rows after i.
    func testTemporalizeLikeTheAutoencoderTutorial() throws {
        let t: [Float] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
        let series = try Tensor(t.map { [$0, $0 * $0 * $0] })
        let (x, y) = try temporalize(series, Array(repeating: 0, count: 9), lookback: 3)
        XCTAssertEqual(x.shape, [5, 3, 2])
        XCTAssertEqual(y.shape, [5])
        XCTAssertEqual(try x[0].array2D().map { $0[0] }, [0.3, 0.4, 0.5])
        XCTAssertEqual(try x[4].array2D().map { $0[0] }, [0.7, 0.8, 0.9])
        XCTAssertEqual(try x[1, 2].scalars[1], 0.6 * 0.6 * 0.6, accuracy: 1e-7)
        let labelled = try temporalize(series, t, lookback: 3)
        XCTAssertEqual(labelled.y.scalars, [0.5, 0.6, 0.7, 0.8, 0.9])
    }

    func testTemporalizeRejectsTooFewRows() throws {
        XCTAssertThrowsError(try temporalize(try Tensor.zeros([4, 2]), lookback: 3)) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message, "temporalize with lookback 3 needs at least 5 rows, got 4")
        }
    }

    func testPadSequencesDefaultsArePreAndKeepFloats() throws {
        let padded = try padSequences([[0.5, 1.5], [2.25], [1, 2, 3, 4]])
        XCTAssertEqual(padded.shape, [3, 4])
        XCTAssertEqual(padded.scalars, [0, 0, 0.5, 1.5, 0, 0, 0, 2.25, 1, 2, 3, 4])
    }

    func testPadSequencesPostPaddingTruncatingAndValue() throws {
        let post = try padSequences([[1, 2, 3, 4], [5]], maxlen: 3, padding: .post, truncating: .post, value: -1)
        XCTAssertEqual(post.scalars, [1, 2, 3, 5, -1, -1])
        let pre = try padSequences([[1, 2, 3, 4], [5]], maxlen: 3, padding: .post)
        XCTAssertEqual(pre.scalars, [2, 3, 4, 5, 0, 0], "truncating defaults to pre: the start is dropped")
        let features = try padSequences([[[1, 2], [3, 4]], [[5, 6]]], padding: .post)
        XCTAssertEqual(features.shape, [2, 2, 2])
        XCTAssertEqual(features.scalars, [1, 2, 3, 4, 5, 6, 0, 0])
        XCTAssertThrowsError(try padSequences([[1]], maxlen: -2)) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message, "padSequences expects maxlen >= 0 (or nil for the longest), got -2")
        }
    }

    func testStandardScalerRoundTrips() throws {
        var scaler = StandardScaler()
        let x = try Tensor([[1, 10], [2, 20], [3, 30], [4, 40]])
        let z = try scaler.fitTransform(x)
        XCTAssertEqual(z.mean(), 0, accuracy: 1e-6)
        XCTAssertEqual(scaler.mean, [2.5, 25])
        XCTAssertEqual(scaler.scale[0], 1.118034, accuracy: 1e-6)
        let back = try scaler.inverseTransform(z)
        for (a, b) in zip(back.scalars, x.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertThrowsError(try scaler.transform(try Tensor.zeros([2, 3]))) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message, "StandardScaler.transform expects 2 features (last axis), got shape (2, 3)")
        }
        XCTAssertThrowsError(try StandardScaler().transform(x)) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message,
                           "StandardScaler.transform called before fit: call fit(_:) on the training data first")
        }
    }

    func testTrainValidationSplitTakesTheLastFraction() throws {
        let x = try Tensor.arange([10, 1]), y = try Tensor.arange([10])
        let s = try trainValidationSplit(x, y, validationFraction: 0.25)
        XCTAssertEqual(s.xTrain.shape, [7, 1], "floor(10 × 0.75) = 7, as Keras")
        XCTAssertEqual(s.yValidation.scalars, [7, 8, 9])
        XCTAssertThrowsError(try trainValidationSplit(try Tensor.zeros([1, 2]), try Tensor.zeros([1]), validationFraction: 0.5)) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message,
                           "validationFraction=0.5 leaves an empty training part: the data has 1 samples, which is not enough to split into training (0) and validation (1) samples")
        }
        XCTAssertThrowsError(try trainValidationSplit(x, y, validationFraction: 1.5)) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message, "validationFraction must be between 0 and 1 (exclusive), got 1.5")
        }
    }

    func testOneHot() throws {
        let t = try oneHot([2, 0, 1] as [Int])
        XCTAssertEqual(t.shape, [3, 3])
        XCTAssertEqual(t.scalars, [0, 0, 1, 1, 0, 0, 0, 1, 0])
        XCTAssertEqual(try oneHot([1] as [Float], classes: 4).scalars, [0, 1, 0, 0])
        XCTAssertThrowsError(try oneHot([3] as [Int], classes: 2)) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message, "oneHot expects labels in 0..<2 (classes: 2), got 3")
        }
        XCTAssertThrowsError(try oneHot([1.5] as [Float])) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message, "oneHot expects non-negative integer labels, got 1.5")
        }
    }
}
