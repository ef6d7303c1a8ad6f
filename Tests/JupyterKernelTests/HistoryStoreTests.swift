import Foundation
import XCTest
@testable import JupyterKernel
import JupyterProtocol

/// History as ipykernel keeps it: sessions numbered per kernel run, persisted, tail/range/search.
final class HistoryStoreTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("history-\(UUID().uuidString)")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    var file: URL { directory.appendingPathComponent("swift-lstm-kernel/history.jsonl") }

    func testSessionsPersistAcrossKernelRuns() {
        let first = HistoryStore(fileURL: file)
        XCTAssertEqual(first.session, 1)
        first.record(line: 1, input: "let a = 1", output: nil)
        first.record(line: 2, input: "a + 1", output: "2")
        let second = HistoryStore(fileURL: file)
        XCTAssertEqual(second.session, 2)
        second.record(line: 1, input: "let b = 2", output: nil)
        XCTAssertEqual(second.tail(2).map(\.input), ["a + 1", "let b = 2"])
        XCTAssertEqual(second.tail(2)[0].output, "2")
        XCTAssertEqual(second.range(session: -1, start: 1, stop: nil).map(\.line), [1, 2])
        XCTAssertEqual(second.range(session: 0, start: 1, stop: nil).map(\.input), ["let b = 2"])
        XCTAssertEqual(second.range(session: 1, start: 2, stop: 3).map(\.input), ["a + 1"])
    }

    func testADamagedLineIsSkipped() throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("{\"session\":4,\"line\":1,\"input\":\"ok\"}\n{\"session\":5,\"li".utf8).write(to: file)
        let store = HistoryStore(fileURL: file)
        XCTAssertEqual(store.session, 5)
        XCTAssertEqual(store.tail(10).map(\.input), ["ok"])
    }

    func testLinesWithNumbersNoIntHoldsOrWrongKindsAreSkipped() throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let lines = [
            #"{"session": 2, "line": 1, "input": "kept"}"#,
            #"{"session": 1e300, "line": 1, "input": "x"}"#,
            #"{"session": 3, "line": -1e19, "input": "x"}"#,
            #"{"session": 3, "line": 1.5, "input": "x"}"#,
            #"{"session": 3, "line": 1, "input": 7}"#,
            #"{"session": 3, "line": 1, "input": "x", "output": [1]}"#,
            #"{"session": -3, "line": 1, "input": "x"}"#,
            #"[1, 2, 3]"#,
        ]
        try Data(lines.joined(separator: "\n").utf8).write(to: file)
        let store = HistoryStore(fileURL: file)
        XCTAssertEqual(store.tail(10).map(\.input), ["kept"])
        XCTAssertEqual(store.session, 3)
    }

    func testOnlyTheEndOfALargeFileIsRead() throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let filler = String(repeating: "x", count: 1000)
        var text = ""
        for line in 1...6000 { text += #"{"session": 1, "line": \#(line), "input": "\#(filler)"}"# + "\n" }
        text += #"{"session": 7, "line": 1, "input": "newest"}"# + "\n"
        try Data(text.utf8).write(to: file)
        let store = HistoryStore(fileURL: file)
        XCTAssertEqual(store.session, 8)
        XCTAssertEqual(store.tail(1).map(\.input), ["newest"])
        let offered = store.tail(100_000)
        XCTAssertLessThan(offered.count, 6000, "the start-up read is bounded")
        XCTAssertGreaterThan(offered.count, 3000)
        XCTAssertEqual(offered.first?.input, filler, "the line cut by the read window is dropped, not mangled")
    }

    func testAHugeLastLineFromBeforeTheCapStillNumbersTheNextSession() throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let huge = String(repeating: "y", count: HistoryStore.startupReadLimit + 1000)
        let text = #"{"session": 5, "line": 1, "input": "small"}"# + "\n" + #"{"session": 6, "line": 1, "input": "\#(huge)"}"# + "\n"
        try Data(text.utf8).write(to: file)
        XCTAssertEqual(HistoryStore(fileURL: file).session, 7, "the window is widened until a whole entry is in it")
    }

    func testHugeInputsAreStoredCutAtACharacterBoundary() throws {
        let store = HistoryStore(fileURL: file)
        let input = String(repeating: "é", count: HistoryStore.largestStoredInput)   // 2 bytes each
        store.record(line: 1, input: input, output: nil)
        let stored = try XCTUnwrap(HistoryStore(fileURL: file).tail(1).first?.input)
        XCTAssertLessThanOrEqual(stored.utf8.count, HistoryStore.largestStoredInput)
        XCTAssertEqual(stored, String(repeating: "é", count: HistoryStore.largestStoredInput / 2))
    }

    func testTheFileIsPrivate() throws {
        let store = HistoryStore(fileURL: file)
        store.record(line: 1, input: "let token = 1", output: nil)
        let fileMode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int)
        let folderMode = try XCTUnwrap(
            FileManager.default.attributesOfItem(atPath: file.deletingLastPathComponent().path)[.posixPermissions] as? Int)
        XCTAssertEqual(fileMode & 0o777, 0o600)
        XCTAssertEqual(folderMode & 0o777, 0o700)
    }

    func testSearchGlobNewestLimitAndUnique() {
        let store = HistoryStore(fileURL: nil)
        for (line, input) in ["model.fit(x)", "print(1)", "model.fit(y)", "model.fit(x)"].enumerated() {
            store.record(line: line + 1, input: input, output: nil)
        }
        XCTAssertEqual(store.search(pattern: "model.*", n: nil, unique: false).map(\.line), [1, 3, 4])
        XCTAssertEqual(store.search(pattern: "model.*", n: nil, unique: true).map(\.line), [3, 4])
        XCTAssertEqual(store.search(pattern: "model.*", n: 1, unique: false).map(\.line), [4])
        XCTAssertEqual(store.search(pattern: "print(?)", n: nil, unique: false).map(\.input), ["print(1)"])
        XCTAssertEqual(store.search(pattern: "Model*", n: nil, unique: false).count, 0, "GLOB is case-sensitive")
    }

    func testReplyEntryShapes() {
        let entry = HistoryEntry(session: 3, line: 7, input: "x", output: nil)
        XCTAssertEqual(entry.json(output: false), [3, 7, "x"])
        XCTAssertEqual(entry.json(output: true), [3, 7, ["x", nil]])
    }

    func testDataDirectoryFollowsJupyterCore() {
        XCTAssertEqual(JupyterPaths.dataDirectory(environment: ["JUPYTER_DATA_DIR": "/j", "HOME": "/h"]).path, "/j")
        XCTAssertEqual(JupyterPaths.dataDirectory(environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"]).path, "/x/jupyter")
        XCTAssertEqual(JupyterPaths.dataDirectory(environment: ["HOME": "/h"]).path, "/h/.local/share/jupyter")
        XCTAssertEqual(HistoryStore.defaultFileURL(environment: ["JUPYTER_DATA_DIR": "/j"]).path,
                       "/j/swift-lstm-kernel/history.jsonl")
    }
}
