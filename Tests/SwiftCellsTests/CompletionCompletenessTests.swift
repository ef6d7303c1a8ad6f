import SwiftCells
import XCTest

/// `is_complete`: what a console does when the user presses Enter.
final class CompletionCompletenessTests: XCTestCase {
    private func assertAll(_ samples: [String], are expected: CellCompleteness,
                           file: StaticString = #filePath, line: UInt = #line) {
        for code in samples {
            XCTAssertEqual(checkCompleteness(code), expected, "code: \(code.debugDescription)", file: file, line: line)
        }
    }

    func testFinishedCellsAreComplete() {
        assertAll([
            "", "   \n\n", "print(1)", "import Foundation", "return",
            "struct A { var x: Int }\nA(x: 1)",
            "enum E { case a, b }",
            "let s = \"\"\"\nabc\n\"\"\"",
            "let s = \"\\(f(1, 2))\"",
            "x = 3 // {",
            "let x = \"{\"",
            "let ü = \"héllo 😀\"",
            "/* a { comment */ let y = 2",
            "for i in 0..<3 {\n    print(i)\n}",
            "#if DEBUG\nlet d = 1\n#endif",
        ], are: .complete)
    }

    func testOneOpenLevelAsksForFourSpaces() {
        assertAll([
            "for i in 0..<3 {",
            "let a = [1,\n 2,",
            "print(\"a\",",
            "let c = { (x: Int) in",
            "switch x {\ncase 1:",
            "func f(",
            "let x: [Int: String",
            "guard let x = y else {",
            "do {\n} catch {",
            "x.map { $0 +",
            "#if DEBUG",
            "struct S {\n  func f() {\n    print(1)\n  }",
        ], are: .incomplete(indent: "    "))
    }

    func testIndentGrowsWithNesting() {
        XCTAssertEqual(checkCompleteness("func f() {\n    if true {"), .incomplete(indent: String(repeating: " ", count: 8)))
        XCTAssertEqual(checkCompleteness("class C {\n  func f() {\n    let a = ["),
                       .incomplete(indent: String(repeating: " ", count: 12)))
    }

    func testUnfinishedMultiLineStringAndBlockCommentAreIncomplete() {
        assertAll([
            "let s = \"\"\"\nabc",
            "let s = #\"\"\"\nraw",
            "/* a comment that goes on",
        ], are: .incomplete(indent: ""))
        XCTAssertEqual(checkCompleteness("if x {\n let s = \"\"\"\n  in"), .incomplete(indent: "    "))
    }

    func testExpressionCutOffAtTheEndIsIncomplete() {
        assertAll(["let x =", "var x = 5\nx +=", "p.", "let y = x ?"], are: .incomplete(indent: ""))
    }

    func testErrorsMoreInputCannotFixAreInvalid() {
        assertAll([
            "}",
            "let a = 1 ]",
            "func f() { )",
            "let = 5",
            "let x = 1\nlet y = 2 2",
            "let s = \"abc",
            "print(\"unterminated)\nprint(2)",
            "class C: {",
            "let 1x = 3",
            "if { }",
            "print(\"a\" \"b\")",
            "let x = \u{201C}hi\u{201D}",
            "func (",
            "let x = 3\n)",
        ], are: .invalid)
    }

    func testLeadingMagicLinesAreNotSwift() {
        XCTAssertEqual(checkCompleteness("%who"), .complete)
        XCTAssertEqual(checkCompleteness("%%time\nlet x = 1"), .complete)
        XCTAssertEqual(checkCompleteness("%%time\nfor i in 0..<3 {"), .incomplete(indent: "    "))
        XCTAssertEqual(checkCompleteness("%%time\n}"), .invalid, "the Swift after the magic is still checked")
    }
}
