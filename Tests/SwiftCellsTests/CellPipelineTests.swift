import Foundation
@testable import SwiftCells
import XCTest

/// Display records and prints share one pipe; the splitter must give them back in order. And the build
/// cache: a re-run of an unchanged cell after the same predecessors must not recompile.
final class CellPipelineTests: XCTestCase {
    func testDisplayRecordsAreSplitFromTextInOrder() {
        var splitter = DisplayRecordSplitter()
        let record = #"{"data":{"text/plain":"1"},"msg_type":"display_data"}"#
        var pieces = splitter.feed("before\n" + record + "\nafter {\"")
        XCTAssertEqual(pieces, [.text("before\n"), .record(record), .text("after ")])
        pieces = splitter.feed("json\": 1}\n")
        XCTAssertEqual(pieces, [.record("{\"json\": 1}")])
        XCTAssertFalse(DisplayRecordSplitter.isDisplayRecord("{\"json\": 1}"), "not a display record: stays text")
        XCTAssertTrue(DisplayRecordSplitter.isDisplayRecord(record))
        XCTAssertEqual(splitter.feed("tail {"), [.text("tail ")])
        XCTAssertEqual(splitter.flush(), [.text("{")])
    }

    func testCacheKeysSeparateTheirParts() {
        XCTAssertNotEqual(BuildCache.key(["ab", "c"]), BuildCache.key(["a", "bc"]))
        XCTAssertEqual(BuildCache.key(["x"]), BuildCache.key(["x"]))
        XCTAssertEqual(BuildCache.key(["x"]).count, 32)
    }

    /// Compiles real cells with swiftc (skipped when the toolchain is missing).
    func testRerunOfAnUnchangedCellIsACacheHitAndAChangedPredecessorIsNot() throws {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("cells-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        guard let toolchain = try? Toolchain.discover(binDirectory: bin, temporaryDirectory: work.path)
        else { throw XCTSkip("no swiftc") }
        let pipeline = CellPipeline(toolchain: toolchain, workDirectory: work.path)

        let first = try pipeline.prepare("var total = 1")
        XCTAssertFalse(first.cached)
        pipeline.commit(first)
        let second = try pipeline.prepare("total += 1\nprint(total)")
        XCTAssertFalse(second.cached)
        XCTAssertTrue(FileManager.default.fileExists(atPath: second.build.libraryPath))
        let again = try pipeline.prepare("total += 1\nprint(total)")
        XCTAssertTrue(again.cached)
        XCTAssertEqual(again.build, second.build)

        // A new declaration of `total` changes what the cell imports: it must be rebuilt.
        pipeline.commit(try pipeline.prepare("var total = 10"))
        XCTAssertFalse(try pipeline.prepare("total += 1\nprint(total)").cached)

        XCTAssertThrowsError(try pipeline.prepare("let broken: Int = \"text\"")) { error in
            guard case CellError.compile(let diagnostics) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(diagnostics.errors.first?.line, 1)
        }
        XCTAssertNil(pipeline.table.entries["broken"], "a failed cell changes no state")
    }

    /// swiftc leaves a `TemporaryDirectory.*` folder in $TMPDIR on every run; thousands of cells must not
    /// fill /tmp. Builds run with TMPDIR inside the session's folder and leave nothing behind.
    func testBuildingCellsLeavesNothingInTMPDIR() throws {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tmpdir-\(UUID().uuidString)")
        let userTemporary = root.appendingPathComponent("tmp"), work = root.appendingPathComponent("session")
        for dir in [userTemporary, work] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(at: root) }
        let previous = ProcessInfo.processInfo.environment["TMPDIR"]
        setenv("TMPDIR", userTemporary.path, 1)
        defer { if let previous { setenv("TMPDIR", previous, 1) } else { unsetenv("TMPDIR") } }

        let session = work.path
        guard let toolchain = try? Toolchain.discover(binDirectory: bin, temporaryDirectory: session + "/tmp")
        else { throw XCTSkip("no swiftc") }
        let pipeline = CellPipeline(toolchain: toolchain, workDirectory: session)
        pipeline.commit(try pipeline.prepare("var total = 1"))
        XCTAssertThrowsError(try pipeline.prepare("let broken: Int = \"text\""))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: userTemporary.path), [],
                       "swiftc's temporary folders belong in the session's folder")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: session + "/tmp"), [],
                       "emptied after each build")
    }

    /// A new session (new work folder) replaying the same cells loads them from the disk cache, and the
    /// copied libraries still find each other (`$ORIGIN`).
    func testANewSessionReplayingTheSameCellsHitsTheDiskCache() throws {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("disk-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        guard let toolchain = try? Toolchain.discover(binDirectory: bin, temporaryDirectory: root.path)
        else { throw XCTSkip("no swiftc") }
        let disk = try XCTUnwrap(DiskBuildCache(directory: root.appendingPathComponent("cache").path))
        func session(_ name: String) throws -> CellPipeline {
            let work = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            return CellPipeline(toolchain: toolchain, workDirectory: work.path, diskCache: disk)
        }
        let cells = ["var shared = 41", "shared += 1\nprint(shared)"]
        let first = try session("first")
        for code in cells {
            let prepared = try first.prepare(code)
            XCTAssertFalse(prepared.cached)
            first.commit(prepared)
        }
        let second = try session("second")
        for code in cells {
            let prepared = try second.prepare(code)
            XCTAssertTrue(prepared.cached, code)
            XCTAssertTrue(prepared.build.libraryPath.hasPrefix(root.appendingPathComponent("second").path))
            XCTAssertTrue(FileManager.default.fileExists(atPath: prepared.build.libraryPath))
            second.commit(prepared)
        }
        // A different cell at the same position is compiled, not confused with the cached one.
        let third = try session("third")
        XCTAssertFalse(try third.prepare("var shared = 0").cached)
    }
}
