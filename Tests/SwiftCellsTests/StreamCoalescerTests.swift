@testable import SwiftCells
import XCTest

/// A cell's prints reach the front end as few stream messages, in order with displays, nothing lost.
final class StreamCoalescerTests: XCTestCase {
    private final class RecordingSink: CellOutputSink {
        var events: [String] = []
        func cellOutput(_ text: String, isError: Bool) { events.append((isError ? "err:" : "out:") + text) }
        func cellDisplayRecord(_ json: String) { events.append("display:" + json) }
        func cellNeedsInput(prompt: String) -> String? { events.append("input:" + prompt); return nil }
    }

    func testManyPiecesBecomeOneMessageWhenDue() {
        let sink = RecordingSink()
        let coalescer = StreamCoalescer(sink: sink, maxDelay: 0.05)
        for i in 0..<100 {
            coalescer.cellOutput("line \(i)", isError: false)
            coalescer.cellOutput("\n", isError: false)
        }
        let start = try! XCTUnwrap(coalescer.deadline) - 0.05
        coalescer.publishDue(now: start + 0.01)
        XCTAssertEqual(sink.events, [], "held until 50 ms old")
        coalescer.publishDue(now: start + 0.06)
        XCTAssertEqual(sink.events, ["out:" + (0..<100).map { "line \($0)\n" }.joined()])
        XCTAssertNil(coalescer.deadline)
    }

    func testDueTextGoesOutUpToItsLastLineEndAndALonePartialLineWhole() {
        let sink = RecordingSink()
        let coalescer = StreamCoalescer(sink: sink, maxDelay: 0.05)
        coalescer.cellOutput("a\nb", isError: false)
        let start = try! XCTUnwrap(coalescer.deadline) - 0.05
        coalescer.publishDue(now: start + 0.05)
        XCTAssertEqual(sink.events, ["out:a\n"])
        coalescer.publishDue(now: start + 0.11)
        XCTAssertEqual(sink.events, ["out:a\n", "out:b"], "a partial line still shows while the cell sleeps")
    }

    func testDisplaysInputAndStreamSwitchesPublishHeldTextFirst() {
        let sink = RecordingSink()
        let coalescer = StreamCoalescer(sink: sink)
        coalescer.cellOutput("before\n", isError: false)
        coalescer.cellDisplayRecord("{}")
        coalescer.cellOutput("out\n", isError: false)
        coalescer.cellOutput("err\n", isError: true)
        _ = coalescer.cellNeedsInput(prompt: "name?")
        coalescer.cellOutput("end\n", isError: false)
        coalescer.flush()
        XCTAssertEqual(sink.events, ["out:before\n", "display:{}", "out:out\n", "err:err\n", "input:name?", "out:end\n"])
    }
}
