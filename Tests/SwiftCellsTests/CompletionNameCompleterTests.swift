import SwiftCells
import XCTest

/// The fallback used while sourcekit-lsp is unavailable: earlier cells' names still complete.
final class CompletionNameCompleterTests: XCTestCase {
    private let prelude = """
        import LSTMKit
        import NotebookDisplay
        import Foundation
        @testable import var Cell2.counter
        @testable import struct Cell1.Point
        @testable import func Cell3.countWords

        """

    func testNamesFromThePreludesImports() {
        XCTAssertEqual(NameCompleter.declaredNames(inPrelude: prelude),
                       ["LSTMKit", "NotebookDisplay", "Foundation", "counter", "Point", "countWords"])
    }

    func testEarlierCellNamesCompleteBeforeKeywords() throws {
        let completer = NameCompleter(prelude: prelude)
        let result = try XCTUnwrap(completer.complete(code: "let n = cou", cursorOffset: 11))
        XCTAssertEqual(result.matches, ["counter", "countWords"])
        XCTAssertEqual(result.startOffset, 8)
        XCTAssertEqual(result.endOffset, 11)
    }

    func testTheCellsOwnWordsKeywordsAndStandardNames() throws {
        let completer = NameCompleter(prelude: "", extraNames: ["Sequential"])
        let code = "let learningRate = 0.1\nlea"
        let cellWord = try XCTUnwrap(completer.complete(code: code, cursorOffset: code.unicodeScalars.count))
        XCTAssertEqual(cellWord.matches, ["learningRate"], "the word being typed is not offered back")
        XCTAssertEqual(completer.complete(code: "gua", cursorOffset: 3)?.matches, ["guard"])
        XCTAssertEqual(completer.complete(code: "gua", cursorOffset: 3)?.candidates.first?.kind, "keyword")
        XCTAssertEqual(completer.complete(code: "pri", cursorOffset: 3)?.matches, ["print", "private"])
        XCTAssertEqual(completer.complete(code: "seq", cursorOffset: 3)?.matches, ["sequence", "Sequential", "Sequence"])
    }

    func testCursorInsideAWordReplacesTheWholeWord() throws {
        let result = try XCTUnwrap(NameCompleter(prelude: prelude).complete(code: "Poi(x: 1)", cursorOffset: 2))
        XCTAssertEqual(result.matches, ["Point"])
        XCTAssertEqual(result.startOffset, 0)
        XCTAssertEqual(result.endOffset, 3)
    }

    func testMagicsCompleteInTheLeadingLinesOnly() throws {
        let magics = ["%%time", "%timeit", "%who", "%reset", "%lsmagic"]
        let line = try XCTUnwrap(NameCompleter.completeMagic(code: "%ti", cursorOffset: 3, magics: magics))
        XCTAssertEqual(line.matches, ["%timeit"])
        XCTAssertEqual(line.startOffset, 0)
        XCTAssertEqual(line.endOffset, 3)
        XCTAssertEqual(NameCompleter.completeMagic(code: "%%", cursorOffset: 2, magics: magics)?.matches, ["%%time"])
        let second = try XCTUnwrap(NameCompleter.completeMagic(code: "%%time\n  %wh", cursorOffset: 12, magics: magics))
        XCTAssertEqual(second.matches, ["%who"])
        XCTAssertEqual(second.startOffset, 9)
        XCTAssertNil(NameCompleter.completeMagic(code: "let x = 7\n%ti", cursorOffset: 13, magics: magics),
                     "after Swift code `%` is the remainder operator")
        XCTAssertNil(NameCompleter.completeMagic(code: "x %ti", cursorOffset: 5, magics: magics))
        XCTAssertNil(NameCompleter.completeMagic(code: "%zz", cursorOffset: 3, magics: magics))
    }

    func testNothingWithoutAPrefixOrAfterADot() {
        let completer = NameCompleter(prelude: prelude)
        XCTAssertNil(completer.complete(code: "", cursorOffset: 0))
        XCTAssertNil(completer.complete(code: "let x = ", cursorOffset: 8))
        XCTAssertNil(completer.complete(code: "p.cou", cursorOffset: 5), "members are the language server's job")
        XCTAssertNil(completer.complete(code: "qqqzzz", cursorOffset: 6))
    }
}
