import XCTest
import Foundation
@testable import LSTMKit

/// Activation functions: the vectorised tanh/sigmoid must agree with libm to float precision.
final class LayerActivationTests: XCTestCase {
    private func maxRelativeError(_ act: Activation, _ reference: (Double) -> Double) -> (Double, Float) {
        var xs = [Float]()
        var x: Float = -30
        while x <= 30 { xs.append(x); x += 0.00731 }
        xs += [0, 1e-8, -1e-8, 1e-4, -3e-3, 0.6249, 0.625, 0.6251, 88, -88, 100, -100]
        var ys = xs
        ys.withUnsafeMutableBufferPointer { act.apply($0.baseAddress!, count: $0.count, rowLength: $0.count) }
        var worst = 0.0, at: Float = 0
        for (x, y) in zip(xs, ys) {
            let r = reference(Double(x))
            let err = abs(Double(y) - r) / max(abs(r), 1e-30)
            if err > worst { worst = err; at = x }
        }
        return (worst, at)
    }

    func testVectorisedTanhMatchesLibm() {
        let (err, at) = maxRelativeError(.tanh) { Foundation.tanh($0) }
        XCTAssertLessThan(err, 5e-7, "worst relative error \(err) at x = \(at)")
    }

    func testVectorisedSigmoidMatchesLibm() {
        // Relative error is what matters for gates near 0 (large negative x).
        let (err, at) = maxRelativeError(.sigmoid) { 1 / (1 + Foundation.exp(-$0)) }
        XCTAssertLessThan(err, 5e-7, "worst relative error \(err) at x = \(at)")
    }

    func testHardSigmoidAndSoftmax() {
        var v: [Float] = [-4, -1, 0, 2, 4]
        v.withUnsafeMutableBufferPointer { Activation.hardSigmoid.apply($0.baseAddress!, count: 5, rowLength: 5) }
        for (got, want) in zip(v, [0, 1 / 3.0, 0.5, 5 / 6.0, 1]) { XCTAssertEqual(Double(got), want, accuracy: 1e-6) }
        var s: [Float] = [1, 2, 3, 1000, 1000, 1000]
        s.withUnsafeMutableBufferPointer { Activation.softmax.apply($0.baseAddress!, count: 6, rowLength: 3) }
        XCTAssertEqual(s[0] + s[1] + s[2], 1, accuracy: 1e-6)
        XCTAssertEqual(s[3], 1 / 3, accuracy: 1e-6, "softmax must not overflow for large inputs")
    }
}
