import Foundation
@testable import LSTMKit
@testable import NotebookDisplay
import XCTest

/// Widget callbacks' output in the worker's setting (display pipe connected): what `print` and `display`
/// do inside `Output.capture`, and `fit`'s progress widgets.
final class WidgetOutputTests: XCTestCase {
    /// The last `outputs` state sent for widget `id`.
    private func lastOutputs(_ records: [[String: Any]], _ id: String) -> [[String: Any]]? {
        records.compactMap { record -> [[String: Any]]? in
            guard record["msg_type"] as? String == "comm_msg", record["comm_id"] as? String == id,
                  let state = (record["data"] as? [String: Any])?["state"] as? [String: Any] else { return nil }
            return state["outputs"] as? [[String: Any]]
        }.last
    }

    func testPrintsAndDisplaysInsideCaptureGoToTheOutputWidgetInOrder() throws {
        var output: Output?
        var outside = ""
        let records = try captureRecords {
            outside = try captureStdout {
                let widget = Output()
                output = widget
                widget.capture {
                    print("first")
                    display("shown")
                    print("second")
                    print("third")
                }
                print("after")
            }
        }
        XCTAssertEqual(outside, "after\n", "only the print after the capture reaches stdout")
        let shown = try XCTUnwrap(lastOutputs(records, try XCTUnwrap(output).modelID))
        XCTAssertEqual(shown.map { $0["output_type"] as? String }, ["stream", "display_data", "stream"])
        XCTAssertEqual(shown[0]["text"] as? String, "first\n")
        XCTAssertEqual((shown[1]["data"] as? [String: Any])?["text/plain"] as? String, "shown")
        XCTAssertEqual(shown[2]["text"] as? String, "second\nthird\n", "consecutive prints join into one stream output")
        XCTAssertEqual(output?.textDescription, "first\nshown\nsecond\nthird")
    }

    func testFitReportsToAProgressBarALabelAndALossPlot() throws {
        LSTMKit.setRandomSeed(1)
        let x = try Tensor(shape: [8, 3, 1], scalars: (0..<24).map { Float($0 % 5) / 5 })
        let y = try Tensor(shape: [8, 1], scalars: (0..<8).map { Float($0 % 2) })
        let model = try Sequential([LSTM(units: 2, inputShape: [3, 1]), Dense(units: 1)])
        model.compile(optimizer: Adam(), loss: .mse)
        useLiveTrainingProgress(.widgets)
        defer { useTextTrainingProgress() }
        let records = try captureRecords { _ = try model.fit(x, y, epochs: 4, batchSize: 4, verbose: 1) }
        let opened = records.filter { $0["msg_type"] as? String == "comm_open" }
        func commID(of name: String) -> String? {
            opened.first { (($0["data"] as? [String: Any])?["state"] as? [String: Any])?["_model_name"] as? String == name }?["comm_id"] as? String
        }
        let bar = try XCTUnwrap(commID(of: "FloatProgressModel"))
        let label = try XCTUnwrap(commID(of: "LabelModel"))
        let plot = try XCTUnwrap(commID(of: "OutputModel"))
        func last(_ id: String, _ key: String) -> Any? {
            records.compactMap { record -> Any? in
                guard record["comm_id"] as? String == id,
                      let state = (record["data"] as? [String: Any])?["state"] as? [String: Any] else { return nil }
                return state[key]
            }.last
        }
        XCTAssertEqual(last(bar, "value") as? Double, 1)
        XCTAssertEqual(last(bar, "bar_style") as? String, "success")
        let text = try XCTUnwrap(last(label, "value") as? String)
        XCTAssertTrue(text.hasPrefix("Epoch 4/4 done 2/2 - "), text)
        let figure = try XCTUnwrap(lastOutputs(records, plot)?.last?["data"] as? [String: Any])
        XCTAssertTrue((figure["image/svg+xml"] as? String)?.contains("loss") == true)
        XCTAssertEqual(records.filter { $0["msg_type"] as? String == "display_data" }.count, 1, "one view, shown once")
    }
}
