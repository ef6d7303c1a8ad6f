@testable import SwiftCells
import XCTest

/// Jupyter cursor offsets (Unicode scalars in the cell) against LSP positions (UTF-16 in the file): a
/// wrong translation completes the wrong token as soon as a cell holds an emoji or an accent.
final class CompletionDocumentTests: XCTestCase {
    private let prelude = "import LSTMKit\n@testable import var Cell1.counter\n"

    func testCellLinesFollowThePrelude() {
        let document = SyntheticDocument(prelude: prelude, code: "let a = 1\np.")
        XCTAssertEqual(document.text, prelude + "let a = 1\np.")
        XCTAssertEqual(document.position(ofCodeOffset: 0), LSPPosition(line: 2, character: 0))
        XCTAssertEqual(document.position(ofCodeOffset: 12), LSPPosition(line: 3, character: 2))
    }

    func testPreludeWithoutFinalNewlineGetsOne() {
        let document = SyntheticDocument(prelude: "import LSTMKit", code: "x")
        XCTAssertEqual(document.text, "import LSTMKit\nx")
        XCTAssertEqual(document.position(ofCodeOffset: 1), LSPPosition(line: 1, character: 1))
        XCTAssertEqual(SyntheticDocument(prelude: "", code: "x").position(ofCodeOffset: 1),
                       LSPPosition(line: 0, character: 1))
    }

    func testCharactersCountUTF16UnitsWhileOffsetsCountScalars() {
        // "😀" is one scalar and two UTF-16 units; "é" written as e + combining accent is two scalars.
        let code = "let 😀 = \"e\u{301}\"; x."
        let document = SyntheticDocument(prelude: "", code: code)
        let dotOffset = code.unicodeScalars.count
        XCTAssertEqual(document.position(ofCodeOffset: dotOffset), LSPPosition(line: 0, character: 17))
        XCTAssertEqual(document.codeOffset(of: LSPPosition(line: 0, character: 17)), dotOffset)
        XCTAssertEqual(document.codeOffset(of: LSPPosition(line: 0, character: 6)), 5, "just after the emoji")
    }

    func testRoundTripOverEveryOffset() {
        let code = "struct P {\r\n  var ü = \"🎉\"\r}\nP().ü\n"
        let document = SyntheticDocument(prelude: prelude, code: code)
        for offset in 0...code.unicodeScalars.count {
            let position = document.position(ofCodeOffset: offset)
            let back = document.codeOffset(of: position)
            // The only offset that cannot come back is the one between \r and \n of a CRLF break.
            if offset == 11 { continue }
            XCTAssertEqual(back, offset, "offset \(offset) went to \(position)")
        }
    }

    func testMagicNamesAreBlankedForTheServer() {
        let code = "%%time\n%timeit xs.sort()\nlet y = 100 % 7"
        let document = SyntheticDocument(prelude: "", code: code)
        XCTAssertEqual(document.text, "      \n        xs.sort()\nlet y = 100 % 7")
        XCTAssertEqual(document.position(ofCodeOffset: 17), LSPPosition(line: 1, character: 10), "inside `xs`")
    }

    func testPositionsOutsideTheCell() {
        let document = SyntheticDocument(prelude: prelude, code: "ab\ncd")
        XCTAssertNil(document.codeOffset(of: LSPPosition(line: 1, character: 3)), "inside the prelude")
        XCTAssertNil(document.codeOffset(of: LSPPosition(line: 5, character: 0)), "past the last line")
        XCTAssertEqual(document.codeOffset(of: LSPPosition(line: 2, character: 40)), 2, "past a line's end")
        XCTAssertEqual(document.position(ofCodeOffset: 99), LSPPosition(line: 3, character: 2), "clamped")
    }
}
