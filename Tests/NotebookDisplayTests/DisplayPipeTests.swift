import Foundation
import XCTest
import NotebookDisplay
#if canImport(Glibc)
import Glibc
#endif

private struct Card: NotebookDisplayable {
    var title: String
    var mimeBundle: MIMEBundle {
        var bundle = MIMEBundle(plainText: "Card(\(title))", html: "<b>\(title)</b>")
        bundle.metadata = ["text/html": ["isolated": false]]
        return bundle
    }
}

/// The record format of docs/INTERFACES.md, read back from a real pipe as the worker reads it.
final class DisplayPipeTests: XCTestCase {
    func testDisplaySendsDisplayDataWithBundleAndDisplayID() throws {
        var handle: DisplayHandle?
        let records = captureRecords { handle = display(Card(title: "LSTM")) }
        XCTAssertEqual(records.count, 1)
        let r = try XCTUnwrap(records.first)
        XCTAssertEqual(r["msg_type"] as? String, "display_data")
        let data = try XCTUnwrap(r["data"] as? [String: Any])
        XCTAssertEqual(data["text/plain"] as? String, "Card(LSTM)")
        XCTAssertEqual(data["text/html"] as? String, "<b>LSTM</b>")
        let metadata = try XCTUnwrap(r["metadata"] as? [String: Any])
        XCTAssertEqual((metadata["text/html"] as? [String: Any])?["isolated"] as? Bool, false)
        let transient = try XCTUnwrap(r["transient"] as? [String: Any])
        XCTAssertEqual(transient["display_id"] as? String, handle?.id)
        XCTAssertFalse(handle?.id.isEmpty ?? true)
    }

    func testUpdateReusesTheDisplayIDAndEveryDisplayGetsItsOwn() throws {
        let records = captureRecords {
            let first = display("epoch 1/3")
            _ = display("another")
            first.update("epoch 3/3")
            first.clear()
        }
        XCTAssertEqual(records.map { $0["msg_type"] as? String }, ["display_data", "display_data", "update_display_data", "update_display_data"])
        let ids = records.map { ($0["transient"] as? [String: Any])?["display_id"] as? String }
        XCTAssertNotEqual(ids[0], ids[1])
        XCTAssertEqual(ids[0], ids[2])
        XCTAssertEqual(ids[0], ids[3])
        XCTAssertEqual((records[2]["data"] as? [String: Any])?["text/plain"] as? String, "epoch 3/3")
        XCTAssertEqual((records[3]["data"] as? [String: Any])?["text/plain"] as? String, "", "clear() blanks the display")
    }

    func testExplicitDisplayIDIsKept() {
        let records = captureRecords { display(42, id: "my-plot") }
        XCTAssertEqual((records.first?["transient"] as? [String: Any])?["display_id"] as? String, "my-plot")
    }

    func testClearOutputRecord() {
        let records = captureRecords {
            clearOutput()
            clearOutput(wait: true)
        }
        XCTAssertEqual(records.count, 2)
        XCTAssertEqual(records[0]["msg_type"] as? String, "clear_output")
        XCTAssertEqual(records[0]["wait"] as? Bool, false)
        XCTAssertEqual(records[1]["wait"] as? Bool, true)
        XCTAssertEqual(records[0].count, 2, "clear_output carries only msg_type and wait")
    }

    func testCellResultShowsValuesLikeAREPLAndNothingForVoid() throws {
        var records = captureRecords {
            _notebookCellResult(())
            _notebookCellResult(Optional<Void>.some(()))
            _notebookCellResult(display("shown once"))
            _notebookCellResult("line one\nsaid \"hi\"")
            _notebookCellResult(248_578)
            _notebookCellResult([1.5, 2.0])
            _notebookCellResult(Card(title: "rich"))
        }
        XCTAssertEqual(records.count, 5, "Void results and display handles must not produce a result")
        XCTAssertEqual(records.removeFirst()["msg_type"] as? String, "display_data")
        for r in records {
            XCTAssertEqual(r["msg_type"] as? String, "execute_result")
            XCTAssertNil(r["transient"], "execute_result has no display id")
            XCTAssertNotNil(r["metadata"] as? [String: Any])
        }
        let texts = records.map { ($0["data"] as? [String: Any])?["text/plain"] as? String }
        XCTAssertEqual(texts[0], #""line one\nsaid \"hi\"""#, "strings show quoted and escaped, like a REPL")
        XCTAssertEqual(texts[1], "248578")
        XCTAssertEqual(texts[2], "[1.5, 2.0]")
        XCTAssertEqual(texts[3], "Card(rich)")
        XCTAssertEqual((records[3]["data"] as? [String: Any])?["text/html"] as? String, "<b>rich</b>")
    }

    func testEachRecordIsOneLineEvenWithNewlinesAndUnicode() throws {
        let text = "Loss 损失\nline\u{2028}two\ttab \u{1}"
        let raw = captureDisplayPipe { display(text) }
        XCTAssertEqual(raw.filter { $0 == "\n" }.count, 1, "a record is exactly one line")
        let records = captureRecords { display(text) }
        XCTAssertEqual((records.first?["data"] as? [String: Any])?["text/plain"] as? String, text)
    }

    func testPrintsBeforeADisplayArriveBeforeIt() throws {
        // stdout to a pipe is fully buffered: without the flush before each record, the printed line would
        // arrive after the display record.
        let reader = PipeReader()
        let savedStdout = dup(1)
        fflush(stdout)
        dup2(reader.writeFD, 1)
        DisplayPipe.connect(fileDescriptor: reader.writeFD)
        print("printed first")
        display("displayed second")
        print("printed third")
        fflush(stdout)
        DisplayPipe.disconnect()
        dup2(savedStdout, 1)
        close(savedStdout)
        let lines = reader.finish().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines.first, "printed first")
        XCTAssertTrue(lines[1].hasPrefix("{"), "the display record comes second, got \(lines[1])")
        XCTAssertEqual(lines.last, "printed third")
    }

    func testConcurrentDisplaysNeverInterleave() {
        // Records larger than PIPE_BUF (4096 bytes) are not written atomically by the kernel; the lock must
        // keep them whole.
        let payload = String(repeating: "x", count: 20_000)
        let records = captureRecords {
            DispatchQueue.concurrentPerform(iterations: 8) { thread in
                for i in 0..<25 { display("\(thread)-\(i)-\(payload)") }
            }
        }
        XCTAssertEqual(records.count, 200)
        let texts = Set(records.compactMap { ($0["data"] as? [String: Any])?["text/plain"] as? String })
        XCTAssertEqual(texts.count, 200, "every record arrives whole and distinct")
    }

    func testWithoutAPipeDisplayPrintsPlainText() {
        DisplayPipe.disconnect()
        let out = captureStdout {
            let h = display(Card(title: "plain"))
            h.update("updated")
            h.clear()
            clearOutput()
            _notebookCellResult(())
            _notebookCellResult("s")
        }
        XCTAssertEqual(out, "Card(plain)\nupdated\n\"s\"\n")
    }

    func testEnvironmentVariableSelectsThePipeAndBadValuesFallBack() {
        let reader = PipeReader()
        setenv(DisplayPipe.environmentVariable, "not-a-number", 1)
        XCTAssertFalse(DisplayPipe.connectFromEnvironment())
        setenv(DisplayPipe.environmentVariable, "987654", 1)
        XCTAssertFalse(DisplayPipe.connectFromEnvironment(), "a closed descriptor must not be used")
        setenv(DisplayPipe.environmentVariable, String(reader.writeFD), 1)
        XCTAssertTrue(DisplayPipe.connectFromEnvironment())
        display("via env")
        unsetenv(DisplayPipe.environmentVariable)
        DisplayPipe.disconnect()
        XCTAssertTrue(reader.finish().contains("\"via env\""))
    }
}
