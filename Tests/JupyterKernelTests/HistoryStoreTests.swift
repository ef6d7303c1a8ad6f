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
