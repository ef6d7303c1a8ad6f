import Foundation
import XCTest
@testable import LSTMKit

/// A tensor as the fixture generators write it: shape + flat row-major float32 values.
struct FixtureTensor: Decodable {
    let shape: [Int]
    let data: [Double]
    var tensor: Tensor { try! Tensor(shape: shape, scalars: data.map { Float($0) }) }
}

/// A named weight in a fixture (Keras's `layer.weights` order).
struct FixtureWeight: Decodable {
    let name: String
    let shape: [Int]
    let data: [Double]
    var tensor: Tensor { try! Tensor(shape: shape, scalars: data.map { Float($0) }) }
}

/// Reads a JSON fixture from the test bundle's `Fixtures/` folder.
func loadFixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    let url = try fixtureURL(name)
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

/// The URL of a file in `Fixtures/`.
func fixtureURL(_ name: String) throws -> URL {
    guard let base = Bundle.module.resourceURL else { throw LSTMKitError.io("no test resources") }
    let url = base.appendingPathComponent("Fixtures").appendingPathComponent(name)
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw LSTMKitError.io("fixture \(name) is missing; see tools/README.md to regenerate it")
    }
    return url
}

/// Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise; on failure prints the first
/// mismatches and the largest difference, so a parity break is easy to read.
func assertClose(_ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6,
                 _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail("\(what): shape \(formatShape(actual.shape)) != expected \(formatShape(expected.shape))", file: file, line: line)
        return
    }
    var mismatches: [String] = []
    var maxDiff: Float = 0
    for i in 0..<expected.count {
        let a = actual.scalars[i], e = expected.scalars[i]
        let d = Swift.abs(a - e)
        if !(d <= atol + rtol * Swift.abs(e)) {
            if mismatches.count < 5 { mismatches.append("[\(i)] got \(a), expected \(e) (diff \(d))") }
        }
        if d > maxDiff || d.isNaN { maxDiff = d }
    }
    if !mismatches.isEmpty {
        XCTFail("\(what): \(mismatches.count)+ mismatches, max diff \(maxDiff); first: \(mismatches.joined(separator: "; "))",
                file: file, line: line)
    }
}

/// Asserts two scalars agree to `rtol` (relative) with a small absolute floor.
func assertClose(_ actual: Float, _ expected: Double, rtol: Float = 1e-5, atol: Float = 1e-6, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    let e = Float(expected)
    XCTAssert(Swift.abs(actual - e) <= atol + rtol * Swift.abs(e), "\(what): got \(actual), expected \(e) (diff \(Swift.abs(actual - e)))",
              file: file, line: line)
}
