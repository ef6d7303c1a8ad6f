import XCTest
@testable import LSTMKit

/// Tensor construction, shape operations, arithmetic, reductions and errors.
final class TensorTests: XCTestCase {
    func testNestedInitialisersAndRaggedInput() throws {
        let t = try Tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])
        XCTAssertEqual(t.shape, [2, 2, 2])
        XCTAssertEqual(t.rank, 3)
        XCTAssertEqual(t.count, 8)
        XCTAssertEqual(try Tensor([[[[1]]]]).shape, [1, 1, 1, 1])
        XCTAssertThrowsError(try Tensor([[1, 2], [3]])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "ragged nested array: row 0 has 2 values, row 1 has 1")
        }
        XCTAssertThrowsError(try Tensor(shape: [2, 3], scalars: [1, 2])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "Tensor of shape (2, 3) needs 6 scalars, got 2")
        }
    }

    func testReshapeTransposeIndexSlice() throws {
        let t = try Tensor.arange([2, 3])
        XCTAssertEqual(try t.reshaped([3, -1]).shape, [3, 2])
        XCTAssertThrowsError(try t.reshaped([4, -1])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "cannot reshape tensor of shape (2, 3) (6 elements) into (4, -1)")
        }
        XCTAssertEqual(t.transposed(), try Tensor([[0, 3], [1, 4], [2, 5]]))
        XCTAssertEqual(try t[1], Tensor([3, 4, 5]))
        XCTAssertEqual(try t[-1, 2].scalar, 5)
        XCTAssertEqual(try Tensor.arange([4, 2])[1..<3], try Tensor([[2, 3], [4, 5]]))
        XCTAssertThrowsError(try t[2]) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "index 2 is out of range for axis 0 with size 2")
        }
        let p = try Tensor.arange([2, 3, 4]).transposed(permutation: [1, 0, 2])
        XCTAssertEqual(p.shape, [3, 2, 4])
        XCTAssertEqual(try p[2, 1].scalars, [20, 21, 22, 23])
    }

    func testBroadcastingArithmetic() throws {
        let m = try Tensor([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(try m + Tensor([10, 20, 30]), try Tensor([[11, 22, 33], [14, 25, 36]]))
        XCTAssertEqual(try m * Tensor(2), m * 2)
        XCTAssertEqual(try m - Tensor([[1], [4]]), try Tensor([[0, 1, 2], [0, 1, 2]]))
        XCTAssertEqual(1 - m, try Tensor([[0, -1, -2], [-3, -4, -5]]))
        XCTAssertThrowsError(try m + Tensor([1, 2])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "cannot broadcast shapes (2, 3) and (2,) for '+'")
        }
        XCTAssertEqual(Tensor([0.123456, 2.5]).rounded(places: 2), Tensor([0.12, 2.5]))
    }

    func testReductionsAndConcatenation() throws {
        let m = try Tensor([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(m.sum(), 21)
        XCTAssertEqual(m.mean(), 3.5)
        XCTAssertEqual(m.max(), 6)
        XCTAssertEqual(m.min(), 1)
        XCTAssertEqual(try m.sum(axis: 0), Tensor([5, 7, 9]))
        XCTAssertEqual(try m.mean(axis: -1), Tensor([2, 5]))
        XCTAssertEqual(try m.max(axis: 1, keepDims: true).shape, [2, 1])
        XCTAssertEqual(try Tensor.concatenated([m, m], axis: 1).shape, [2, 6])
        XCTAssertEqual(try Tensor.concatenated([m, m]).shape, [4, 3])
        XCTAssertThrowsError(try Tensor.concatenated([m, Tensor([1])], axis: 0))
        XCTAssertEqual(m.argmax(), Tensor([2, 2]))
    }

    func testSeededRandomIsReproducible() throws {
        LSTMKit.setRandomSeed(42)
        let a = try Tensor.randomUniform([5])
        LSTMKit.setRandomSeed(42)
        XCTAssertEqual(try Tensor.randomUniform([5]), a)
        XCTAssertNotEqual(try Tensor.randomUniform([5]), a)
    }

    /// Golden strings produced by numpy's `str()` on float32 arrays.
    func testDescriptionMatchesNumpy() throws {
        XCTAssertEqual(try Tensor([[0.1, 0.2], [0.3, 0.4]]).description, "[[0.1 0.2]\n [0.3 0.4]]")
        XCTAssertEqual(try Tensor([[-1.5, 2.0, 3.25], [10, 0, -0.125]]).description,
                       "[[-1.5    2.     3.25 ]\n [10.     0.    -0.125]]")
        XCTAssertEqual(try Tensor.arange([2, 3]).description, "[[0. 1. 2.]\n [3. 4. 5.]]")
        XCTAssertEqual((try Tensor.arange([2, 2, 2]) / 4).description,
                       "[[[0.   0.25]\n  [0.5  0.75]]\n\n [[1.   1.25]\n  [1.5  1.75]]]")
        XCTAssertEqual(Tensor([1e-5, 1500, 3]).description, "[1.0e-05 1.5e+03 3.0e+00]")
        XCTAssertEqual((try Tensor.arange([30]) / 3).description,
                       "[0.         0.33333334 0.6666667  1.         1.3333334  1.6666666\n 2.         2.3333333  2.6666667  3.         3.3333333  3.6666667\n 4.         4.3333335  4.6666665  5.         5.3333335  5.6666665\n 6.         6.3333335  6.6666665  7.         7.3333335  7.6666665\n 8.         8.333333   8.666667   9.         9.333333   9.666667  ]")
        XCTAssertEqual(Tensor([0.6288687, 0.86899155, 0.9460773]).description, "[0.6288687  0.86899155 0.9460773 ]")
        XCTAssertEqual(Tensor(0.5).description, "0.5")
        XCTAssertEqual(try Tensor.zeros([2, 0]).description, "[]")
        XCTAssertEqual(Tensor([1, .nan, -.infinity]).description, "[  1.  nan -inf]")
        XCTAssertEqual(try Tensor.arange([1200]).description, "[0.000e+00 1.000e+00 2.000e+00 ... 1.197e+03 1.198e+03 1.199e+03]")
        XCTAssertEqual((try Tensor.arange([40, 50]) / 7).description,
                       "[[0.0000000e+00 1.4285715e-01 2.8571430e-01 ... 6.7142859e+00\n  6.8571429e+00 7.0000000e+00]\n [7.1428571e+00 7.2857141e+00 7.4285712e+00 ... 1.3857142e+01\n  1.4000000e+01 1.4142858e+01]\n [1.4285714e+01 1.4428572e+01 1.4571428e+01 ... 2.1000000e+01\n  2.1142857e+01 2.1285715e+01]\n ...\n [2.6428571e+02 2.6442856e+02 2.6457144e+02 ... 2.7100000e+02\n  2.7114285e+02 2.7128571e+02]\n [2.7142856e+02 2.7157144e+02 2.7171429e+02 ... 2.7814285e+02\n  2.7828571e+02 2.7842856e+02]\n [2.7857144e+02 2.7871429e+02 2.7885715e+02 ... 2.8528571e+02\n  2.8542856e+02 2.8557144e+02]]")
    }
}
