import Foundation
import XCTest
import LSTMKit
import NotebookDisplay

final class TensorDisplayTests: XCTestCase {
    /// The autoencoder tutorial's temporalized data: 5 samples of 3 time steps of (x, x³).
    static func temporalized() throws -> Tensor {
        let series = (1...9).map { Float($0) / 10 }
        var rows: [[[Float]]] = []
        for s in 0..<5 {
            var steps: [[Float]] = []
            for t in 0..<3 {
                let x = series[s + t]
                steps.append([x, x * x * x])
            }
            rows.append(steps)
        }
        return try Tensor(rows)
    }

    func testRank3IsAStackOfTablesWithNamedAxes() throws {
        let bundle = try Self.temporalized().mimeBundle
        let html = try XCTUnwrap(bundle["text/html"])
        XCTAssertTrue(html.contains("Tensor (5, 3, 2) Float32 — sample: 5, time step: 3, feature: 2"))
        XCTAssertEqual(html.components(separatedBy: "<table").count - 1, 5, "one table per sample")
        XCTAssertTrue(html.contains(">sample 4</caption>"))
        XCTAssertTrue(html.contains("time step ↓ / feature →"))
        XCTAssertTrue(html.contains(">0.343</td>"), "0.7³ appears in the last sample")
        XCTAssertEqual(bundle.plainText, try Self.temporalized().description, "text is the numpy-style description")
        assertGolden(html, named: "tensor_temporalized.html")
    }

    func testLargeTensorsAreElided() throws {
        let big = try Tensor(shape: [100, 50], scalars: (0..<5000).map(Float.init))
        let html = try XCTUnwrap(big.mimeBundle["text/html"])
        XCTAssertTrue(html.contains("(elided)"))
        XCTAssertEqual(html.components(separatedBy: "<tr>").count - 1, 1 + 8 + 1 + 8, "header, 8 first rows, gap, 8 last rows")
        XCTAssertTrue(html.contains(">4999</td>"), "the last element is shown")
        XCTAssertFalse(html.contains(">2500</td>"), "the middle is not")
        let manySamples = try Tensor.zeros([10, 2, 2])
        let stacked = try XCTUnwrap(manySamples.mimeBundle["text/html"])
        XCTAssertEqual(stacked.components(separatedBy: "<table").count - 1, 4)
        XCTAssertTrue(stacked.contains("6 more samples"))
    }

    func testScalarsVectorsAndCustomAxisNames() throws {
        XCTAssertTrue(try XCTUnwrap(Tensor(Float(0.5)).mimeBundle["text/html"]).contains("Tensor () Float32"))
        let vector = Tensor([0.0, 0.2, 0.4, 0.6, 0.8])
        XCTAssertTrue(try XCTUnwrap(vector.mimeBundle["text/html"]).contains("Tensor (5,) Float32 — index: 5"))
        let html = try Tensor.zeros([2, 3]).htmlTable(axisNames: ["time step", "feature"])
        XCTAssertTrue(html.contains("time step ↓ / feature →"))
        XCTAssertThrowsError(try Tensor.zeros([2, 3]).htmlTable(axisNames: ["only one"])) { error in
            XCTAssertTrue("\(error)".contains("expected 2 axis names for a tensor of shape (2, 3), got 1"))
        }
    }

    func testNonFiniteValuesAreWrittenOut() throws {
        let t = Tensor([.nan, .infinity, -.infinity, 1])
        let html = try XCTUnwrap(t.mimeBundle["text/html"])
        XCTAssertTrue(html.contains(">nan</td>") && html.contains(">inf</td>") && html.contains(">-inf</td>"))
    }
}
