import Foundation
@testable import SwiftCells
import XCTest

/// The real sourcekit-lsp answering for a cell that follows a real earlier cell: module `Cell1` is
/// built with swiftc the way the cell engine builds cells (script mode, `-enable-testing`), and the
/// prelude imports its names the way the next cell's generated source does.
///
/// Deadlines are generous (a loaded 2-core machine may take seconds for the first answer); what is
/// asserted is the answer, never its speed.
final class CompletionEngineTests: XCTestCase {
    private static let generous = 120.0
    private static var cellsDirectory: URL?
    private static var sharedEngine: CompletionEngine?

    private let prelude = """
        @testable import struct Cell1.Point
        @testable import var Cell1.counter

        """

    override class func tearDown() {
        sharedEngine?.shutdown()
        if let cellsDirectory { try? FileManager.default.removeItem(at: cellsDirectory) }
        super.tearDown()
    }

    /// Builds `Cell1` once: a documented struct and a global, as a notebook's first cell would declare.
    private func cellsDirectory() throws -> URL {
        if let directory = Self.cellsDirectory { return directory }
        guard CompletionEngine.locateServer() != nil else { throw XCTSkip("sourcekit-lsp is not on PATH") }
        guard let swiftc = Self.findOnPath("swiftc") else { throw XCTSkip("swiftc is not on PATH") }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("completion-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = """
            /// A point on a line, declared by the first cell.
            struct Point { var x: Int }
            var counter = 1

            """
        try source.write(to: directory.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: swiftc)
        compiler.currentDirectoryURL = directory
        // The driver leaves a `TemporaryDirectory.*` folder in $TMPDIR: keep it in the test's folder.
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = directory.path
        compiler.environment = environment
        compiler.arguments = ["-swift-version", "5", "-enable-testing", "-Onone", "-module-name", "Cell1",
                              "-emit-module", "-emit-module-path", "Cell1.swiftmodule", "-c", "main.swift",
                              "-o", "cell1.o", "-Xfrontend", "-entry-point-function-name",
                              "-Xfrontend", "cell1_main"]
        try compiler.run()
        compiler.waitUntilExit()
        XCTAssertEqual(compiler.terminationStatus, 0, "swiftc could not build Cell1")
        Self.cellsDirectory = directory
        return directory
    }

    private func makeEngine(serverExecutable: String? = nil) throws -> CompletionEngine {
        let directory = try cellsDirectory()
        return CompletionEngine(moduleSearchPaths: [directory.path], libraryPaths: [directory.path],
                                serverExecutable: serverExecutable)
    }

    private func sharedEngine() throws -> CompletionEngine {
        if let engine = Self.sharedEngine { return engine }
        let engine = try makeEngine()
        Self.sharedEngine = engine
        return engine
    }

    func testMembersOfAStructFromAnEarlierCell() throws {
        let code = "let p = Point(x: 1)\np."
        let result = try XCTUnwrap(sharedEngine().complete(prelude: prelude, code: code,
                                                           cursorOffset: code.unicodeScalars.count,
                                                           timeout: Self.generous))
        XCTAssertTrue(result.matches.contains("x"), "matches: \(result.matches)")
        XCTAssertEqual(result.startOffset, code.unicodeScalars.count)
        XCTAssertEqual(result.endOffset, code.unicodeScalars.count)
    }

    func testStandardLibraryMemberAfterAnEmoji() throws {
        let code = "let 🎲 = [1, 2].co"
        let cursor = code.unicodeScalars.count
        let result = try XCTUnwrap(sharedEngine().complete(prelude: prelude, code: code, cursorOffset: cursor,
                                                           timeout: Self.generous))
        XCTAssertTrue(result.matches.contains("count"), "matches: \(result.matches)")
        XCTAssertFalse(result.matches.contains { !$0.lowercased().hasPrefix("co") }, "matches: \(result.matches)")
        XCTAssertEqual(result.startOffset, cursor - 2, "`co` is replaced")
        XCTAssertEqual(result.endOffset, cursor)
    }

    func testGlobalFromAnEarlierCellByPrefix() throws {
        let result = try XCTUnwrap(sharedEngine().complete(prelude: prelude, code: "counter += 1\ncou",
                                                           cursorOffset: 16, timeout: Self.generous))
        XCTAssertEqual(result.matches.first, "counter", "matches: \(result.matches)")
        XCTAssertEqual(result.startOffset, 13)
    }

    func testHoverShowsTheDeclarationAndItsDocComment() throws {
        let code = "let p = Point(x: 1)"
        let documentation = try XCTUnwrap(sharedEngine().inspect(prelude: prelude, code: code, cursorOffset: 10,
                                                                 timeout: Self.generous))
        XCTAssertTrue(documentation.plainText.contains("struct Point"), documentation.plainText)
        XCTAssertTrue(documentation.plainText.contains("A point on a line, declared by the first cell."),
                      documentation.plainText)
        XCTAssertFalse(documentation.plainText.contains("```"))
        XCTAssertTrue(documentation.markdown.contains("```swift"), documentation.markdown)
    }

    func testHoverInsideACallDocumentsTheFunction() throws {
        let code = "print(counter, "
        let documentation = try XCTUnwrap(sharedEngine().inspect(prelude: prelude, code: code,
                                                                 cursorOffset: code.unicodeScalars.count,
                                                                 timeout: Self.generous))
        XCTAssertTrue(documentation.plainText.contains("func print("), documentation.plainText)
    }

    func testNamesTheServerCannotSeeStillCompleteByPrefix() throws {
        // Cell9 was never built, so the server cannot load it and knows no `ghostCount`.
        let header = prelude + "@testable import var Cell9.ghostCount\n"
        let result = try XCTUnwrap(sharedEngine().complete(prelude: header, code: "ghostC", cursorOffset: 6,
                                                           timeout: Self.generous))
        XCTAssertEqual(result.matches, ["ghostCount"])
        XCTAssertEqual(result.startOffset, 0)
    }

    func testAMissedDeadlineReturnsNilAndTheServerIsWarmAfterwards() throws {
        let engine = try makeEngine()
        defer { engine.shutdown() }
        XCTAssertNil(engine.complete(prelude: prelude, code: "p.", cursorOffset: 2, timeout: 0))
        let code = "Point(x: 2)."
        let result = engine.complete(prelude: prelude, code: code, cursorOffset: code.unicodeScalars.count,
                                     timeout: Self.generous)
        XCTAssertEqual(result?.matches.contains("x"), true, "matches: \(result?.matches ?? [])")
    }

    func testACrashedServerIsReplacedOnTheNextRequest() throws {
        let engine = try makeEngine()
        defer { engine.shutdown() }
        let code = "Point(x: 2)."
        let cursor = code.unicodeScalars.count
        XCTAssertNotNil(engine.complete(prelude: prelude, code: code, cursorOffset: cursor, timeout: Self.generous))
        let crashed = try XCTUnwrap(engine.serverProcessIdentifier)
        XCTAssertEqual(kill(crashed, SIGKILL), 0)
        let result = engine.complete(prelude: prelude, code: code, cursorOffset: cursor, timeout: Self.generous)
        XCTAssertEqual(result?.matches.contains("x"), true, "matches: \(result?.matches ?? [])")
        XCTAssertNotEqual(engine.serverProcessIdentifier, crashed)
    }

    func testWithoutAServerRequestsReturnNilAndNamesStillComplete() throws {
        let engine = try makeEngine(serverExecutable: "/nonexistent/sourcekit-lsp")
        defer { engine.shutdown() }
        XCTAssertNil(engine.complete(prelude: prelude, code: "cou", cursorOffset: 3, timeout: Self.generous))
        XCTAssertNil(engine.inspect(prelude: prelude, code: "Point", cursorOffset: 2, timeout: Self.generous))
        XCTAssertEqual(engine.completeNames(prelude: prelude, code: "cou", cursorOffset: 3)?.matches, ["counter"])
    }

    func testAServerThatNeverAnswersDoesNotHangTheCaller() throws {
        // A "server" that reads its input forever and never writes a byte.
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("mute-lsp-\(UUID().uuidString)")
        try "#!/bin/sh\nexec cat > /dev/null\n".write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        defer { try? FileManager.default.removeItem(at: script) }
        let engine = try makeEngine(serverExecutable: script.path)
        XCTAssertNil(engine.complete(prelude: prelude, code: "cou", cursorOffset: 3, timeout: 0.5))
        XCTAssertNil(engine.inspect(prelude: prelude, code: "Point", cursorOffset: 2, timeout: 0.5))
        XCTAssertNotNil(engine.serverProcessIdentifier, "the silent server is kept until it looks hung")
        engine.shutdown()
        XCTAssertNil(engine.serverProcessIdentifier)
    }

    func testAfterShutdownRequestsReturnNil() throws {
        let engine = try makeEngine()
        engine.shutdown()
        XCTAssertNil(engine.complete(prelude: prelude, code: "Point(x: 1).", cursorOffset: 12, timeout: Self.generous))
    }

    private static func findOnPath(_ name: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
