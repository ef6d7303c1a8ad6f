@testable import SwiftCells
import XCTest

/// What Shift+Tab asks the language server about, found from the parsed cell. Offsets are Unicode
/// scalars, as Jupyter counts the cursor.
final class InspectionTargetFinderTests: XCTestCase {
    /// The names of the targets, best first, and where signature help would ask (the scalar after `(`).
    private func targets(_ code: String, _ cursor: Int? = nil) -> [(name: String, arguments: Int?)] {
        let scalars = Array(code.unicodeScalars)
        return InspectionTargetFinder.targets(in: code, cursorOffset: cursor ?? scalars.count).map {
            (String(String.UnicodeScalarView(scalars[$0.nameStart..<$0.nameEnd])), $0.argumentsStart)
        }
    }

    private func first(_ code: String, _ cursor: Int? = nil) -> String? { targets(code, cursor).first?.name }

    func testAnOpenMethodCallDocumentsTheMethod() {
        let found = targets("let h = try model.fit(")
        XCTAssertEqual(found.map(\.name), ["fit"])
        XCTAssertEqual(found.first?.arguments, 22, "signature help asks just after the `(`")
    }

    func testTheCursorAnywhereInTheCalleeName() {
        let code = "model.fit(x, y, epochs: 3)"
        for cursor in 6...9 { XCTAssertEqual(first(code, cursor), "fit", "cursor at \(cursor)") }
        XCTAssertEqual(targets(code, 7).first?.arguments, 10, "a called name carries its call's `(`")
        XCTAssertEqual(first(code, 2), "model", "the receiver under the cursor is documented itself")
    }

    func testTheCursorInsideTheArgumentsDocumentsTheCallee() {
        let code = "model.fit(x, y, epochs: 3)"
        XCTAssertEqual(first(code, 10), "fit", "just after `(`")
        XCTAssertEqual(targets(code, 12).map(\.name), ["fit"], "after a comma")
        XCTAssertEqual(targets(code, 11).map(\.name), ["fit", "x"], "on an argument")
        XCTAssertEqual(first(code, 25), "fit", "just before `)`")
        XCTAssertNil(first(code + " + 1", 28), "after the call is outside it")
    }

    func testAnArgumentLabelLeadsToTheCallee() {
        XCTAssertEqual(targets("model.fit(x, y, epo").map(\.name), ["fit", "epo"])
        XCTAssertEqual(targets("model.fit(x, y, epochs: 3)", 19).map(\.name), ["fit"])
    }

    func testInsideTheParenthesesTheCalleeComesBeforeAnArgumentName() {
        XCTAssertEqual(targets("padSequences(seqs").map(\.name), ["padSequences", "seqs"])
        XCTAssertEqual(first("print(temporalize(x))", 10), "temporalize", "the name of an inner call")
    }

    func testNamesWithoutParentheses() {
        let found = targets("auto.compile")
        XCTAssertEqual(found.map(\.name), ["compile"])
        XCTAssertNil(found.first?.arguments)
        XCTAssertEqual(first("let f = temporalize", 12), "temporalize")
    }

    func testTheInnermostOpenCallWins() {
        XCTAssertEqual(first("print(temporalize(x, lookback: "), "temporalize")
        XCTAssertEqual(first("print(temporalize(x, lookback: 3), "), "print", "a closed inner call is skipped")
        XCTAssertEqual(first("padSequences([[1], [2, 3]], maxlen: 3, padding: .post"), "padSequences")
    }

    func testParenthesesInStringsAndClosuresDoNotConfuseIt() {
        XCTAssertEqual(first(#"summaryTable(model, title: "a (b"#), "summaryTable")
        XCTAssertEqual(first("model.predict(xs.map { ($0) }, "), "predict")
    }

    func testGenericAndInitialiserCallees() {
        XCTAssertEqual(first("let t = Tensor("), "Tensor")
        XCTAssertEqual(first("let a = Array<Int>("), "Array")
    }

    func testOffsetsCountScalarsNotBytes() {
        // The die is one scalar but four UTF-8 bytes.
        let found = targets("let 🎲 = 1; model.fit(")
        XCTAssertEqual(found.map(\.name), ["fit"])
        XCTAssertEqual(found.first?.arguments, 21, "UTF-8 offsets would say 24")
    }

    func testNothingToDocument() {
        XCTAssertTrue(targets("1 + ").isEmpty)
        XCTAssertTrue(targets("").isEmpty)
    }
}
