@testable import SwiftCells
import XCTest

/// Compile errors as the user sees them: cell line, message, the user's own line and a caret under the
/// right character — also when the error is inside the last expression the generator wrapped.
final class CellDiagnosticsTests: XCTestCase {
    func testParsesLLVMStyleDiagnosticsWithTheirCaretLines() {
        let output = """
            <cell 3>:2:7: error: cannot find 'y' in scope
            print(y)
                  ^
            <cell 1>:1:5: note: did you mean 'x'?
            var x = 1
                ^
            main.swift:3:1: warning: something minor
            error: fatalError
            """
        let parsed = CompileDiagnostics.parse(output)
        XCTAssertEqual(parsed.errors.count, 1)
        XCTAssertEqual(parsed.errors[0].file, "<cell 3>")
        XCTAssertEqual(parsed.errors[0].line, 2)
        XCTAssertEqual(parsed.errors[0].column, 7)
        XCTAssertEqual(parsed.errors[0].message, "cannot find 'y' in scope")
        XCTAssertEqual(parsed.errors[0].excerpt, ["print(y)", "      ^"])
        XCTAssertEqual(parsed.rendered, ["<cell 3>:2:7: error: cannot find 'y' in scope", "print(y)", "      ^",
                                         "<cell 1>:1:5: note: did you mean 'x'?", "var x = 1", "    ^"])
    }

    func testDiagnosticsInsideTheWrappedLastExpressionShowTheUsersLine() {
        let code = "let q = 1\n  q.nothing()"
        let wrapper = "NotebookDisplay._notebookCellResult(".utf8.count
        // What swiftc says about the generated line `  NotebookDisplay._notebookCellResult(q.nothing())`.
        var diagnostics = CompileDiagnostics.parse("""
            <cell 5>:2:41: error: value of type 'Int' has no member 'nothing'
              NotebookDisplay._notebookCellResult(q.nothing())
                                                    ^
            """)
        diagnostics.cellLabel = "<cell 5>"
        let shown = diagnostics.showingUserCode(code, analysis: CellAnalyzer.analyze(code), wrapperLength: wrapper)
        XCTAssertEqual(shown.errors[0].column, 5)
        XCTAssertEqual(shown.errors[0].excerpt, ["  q.nothing()", "    ^"])
    }

    func testRuntimeReportsAreHeldBackFromStderrAndParsed() {
        var filter = RuntimeMessageFilter()
        XCTAssertEqual(filter.feed("user warning\nCell4/<cell 4>:3: Fatal error: boom\nCurrent stack trace:\n"), "user warning\n")
        XCTAssertEqual(filter.feed("0    libswiftCore.so   0x00007f 0 swift_reportError + 33\n"), "")
        let report = filter.takeRuntimeReport()
        XCTAssertEqual(report.count, 3)
        let parsed = RuntimeMessageFilter.parse(report)
        XCTAssertEqual(parsed?.message, "Fatal error: boom")
        XCTAssertEqual(parsed?.location, CellLocation(module: 4, line: 3))
        XCTAssertNil(RuntimeMessageFilter.parse(["Swift/ContiguousArrayBuffer.swift:692: Fatal error: Index out of range"])?.location)
    }

    func testALookalikeLineWithoutATrapIsOrdinaryOutput() {
        var filter = RuntimeMessageFilter()
        XCTAssertEqual(filter.feed("Fatal error: only a message the cell printed\n"), "")
        XCTAssertEqual(filter.finish(), "Fatal error: only a message the cell printed\n")
    }

    func testCellLinesAreReadFromRuntimeAndSymbolizerLocations() {
        XCTAssertEqual(cellLocation(in: "Cell3/<cell 3>:12"), CellLocation(module: 3, line: 12))
        XCTAssertEqual(cellLocation(in: "/<cell 7>:4:9"), CellLocation(module: 7, line: 4))
        XCTAssertNil(cellLocation(in: "/<cell 7>:0:0"), "line 0 is compiler-generated code")
        XCTAssertNil(cellLocation(in: "Swift/Array.swift:10"))
    }
}
