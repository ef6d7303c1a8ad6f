@testable import SwiftCells
import XCTest

/// Turning sourcekit-lsp answers (shaped as it sends them) into what the notebook shows.
final class CompletionResultsTests: XCTestCase {
    private func item(_ label: String, newText: String, sort: String, kind: Int, detail: String? = nil,
                      line: Int, from start: Int, to end: Int) -> [String: Any] {
        var item: [String: Any] = [
            "label": label, "sortText": sort, "kind": kind, "filterText": label,
            "textEdit": ["newText": newText, "range": [
                "start": ["line": line, "character": start], "end": ["line": line, "character": end],
            ]],
        ]
        if let detail { item["detail"] = detail }
        return item
    }

    func testPrefixMatchesComeFirstAndFuzzyOnesAreDropped() {
        let document = SyntheticDocument(prelude: "import LSTMKit\n", code: "let n = cou")
        let items = [
            item("CountableRange", newText: "CountableRange", sort: "4980.1-CountableRange", kind: 22, line: 1, from: 8, to: 11),
            item("counter", newText: "counter", sort: "4983.7-counter", kind: 6, detail: "Int", line: 1, from: 8, to: 11),
            item("ByteCountFormatter", newText: "ByteCountFormatter", sort: "4970-Byte", kind: 7, line: 1, from: 8, to: 11),
        ]
        let result = LanguageServerResults.completionMatches(from: ["isIncomplete": true, "items": items],
                                                             document: document, cursorOffset: 11)
        XCTAssertEqual(result.matches, ["counter", "CountableRange"])
        XCTAssertEqual(result.startOffset, 8)
        XCTAssertEqual(result.endOffset, 11)
        XCTAssertEqual(result.candidates.first, CompletionCandidate(text: "counter", kind: "instance", signature: "counter: Int"))
    }

    func testFunctionsAreOfferedByNameOnceWithTheBestOverloadsSignature() {
        let document = SyntheticDocument(prelude: "", code: "prin")
        let items = [
            item("print(items: Any..., to: &TextOutputStream)", newText: "print(, to: &)", sort: "4975.0", kind: 3,
                 line: 0, from: 0, to: 4),
            item("print(items: Any...)", newText: "print()", sort: "4974.6", kind: 3, line: 0, from: 0, to: 4),
            item("VREPRINT", newText: "VREPRINT", sort: "4991.7", kind: 6, line: 0, from: 0, to: 4),
        ]
        let result = LanguageServerResults.completionMatches(from: ["items": items], document: document, cursorOffset: 4)
        XCTAssertEqual(result.matches, ["print"])
        XCTAssertEqual(result.candidates.map(\.signature), ["print(items: Any...)"])
        XCTAssertEqual(result.candidates.map(\.kind), ["function"])
    }

    func testMemberCompletionAfterADotKeepsEverything() {
        let code = "let 😀 = p."
        let document = SyntheticDocument(prelude: "@testable import struct Cell1.Point\n", code: code)
        let cursor = code.unicodeScalars.count
        let items = [
            item("x", newText: "x", sort: "4998.4-x", kind: 10, detail: "Int", line: 1, from: 11, to: 11),
            item("self", newText: "self", sort: "4998.5-self", kind: 14, detail: "Point", line: 1, from: 11, to: 11),
        ]
        let result = LanguageServerResults.completionMatches(from: ["items": items], document: document, cursorOffset: cursor)
        XCTAssertEqual(result.matches, ["x", "self"])
        XCTAssertEqual(result.startOffset, cursor, "the UTF-16 column 11 is scalar offset 10 after the emoji")
        XCTAssertEqual(result.endOffset, cursor)
    }

    func testWhenNothingStartsWithThePrefixTheServersFuzzyMatchesRemain() {
        let document = SyntheticDocument(prelude: "", code: "[1].cnt")
        let items = [item("count", newText: "count", sort: "1", kind: 10, line: 0, from: 4, to: 7)]
        let result = LanguageServerResults.completionMatches(from: ["items": items], document: document, cursorOffset: 7)
        XCTAssertEqual(result.matches, ["count"])
        XCTAssertEqual(result.startOffset, 4)
    }

    func testAnEmptyOrNullResultHasNoMatches() {
        let document = SyntheticDocument(prelude: "", code: "zzz")
        let result = LanguageServerResults.completionMatches(from: NSNull(), document: document, cursorOffset: 3)
        XCTAssertEqual(result.matches, [])
        XCTAssertEqual(result.startOffset, 0, "the identifier before the cursor is the replaced token")
    }

    func testHoverMarkdownAndItsPlainText() throws {
        let markdown = "## Multiple results\n\n```swift\nstruct Point\n```\n\nA point on a line.\n\n---\n\n```swift\n\ninit(x: Int)\n```\n"
        let documentation = try XCTUnwrap(LanguageServerResults.documentation(
            fromHover: ["contents": ["kind": "markdown", "value": markdown]]))
        XCTAssertEqual(documentation.markdown, markdown.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(documentation.plainText, "Multiple results\n\nstruct Point\n\nA point on a line.\n\ninit(x: Int)")
    }

    func testOlderHoverShapesAndEmptyHovers() {
        let marked = LanguageServerResults.documentation(fromHover: ["contents": ["language": "swift", "value": "var x: Int"]])
        XCTAssertEqual(marked?.plainText, "var x: Int")
        XCTAssertEqual(marked?.markdown, "```swift\nvar x: Int\n```")
        XCTAssertNil(LanguageServerResults.documentation(fromHover: NSNull()))
        XCTAssertNil(LanguageServerResults.documentation(fromHover: ["contents": ["kind": "markdown", "value": " \n"]]))
    }

    func testFramesAreSplitByContentLength() throws {
        let body = "{\"id\":1,\"result\":\"é\"}"
        var stream = Array("Content-Length: \(body.utf8.count)\r\nContent-Type: application/vscode-jsonrpc\r\n\r\n\(body)".utf8)
        stream += Array("Content-Length: 40\r\n\r\n{\"partial".utf8)
        let (frame, consumed) = try XCTUnwrap(LanguageServerConnection.nextFrame(in: stream))
        XCTAssertEqual(String(decoding: frame, as: UTF8.self), body)
        XCTAssertNil(LanguageServerConnection.nextFrame(in: Array(stream[consumed...])), "the second body is incomplete")
        XCTAssertNil(LanguageServerConnection.nextFrame(in: Array("Content-Length: 2\r\n".utf8)))
    }

    func testSignatureHelpListsEveryOverloadWithItsDocComment() throws {
        let help: [String: Any] = ["activeSignature": 0, "signatures": [
            ["label": "padSequences(_ sequences: [[Float]], maxlen: Int? = nil) throws -> Tensor",
             "documentation": ["kind": "markdown", "value": "Pads scalar steps."]],
            ["label": "padSequences(_ sequences: [[[Float]]], maxlen: Int? = nil) throws -> Tensor"],
            ["label": "init(shape: [Int])", "documentation": "Zeros."],
        ]]
        let doc = try XCTUnwrap(LanguageServerResults.documentation(fromSignatureHelp: help))
        XCTAssertEqual(doc.markdown, """
            ```swift
            func padSequences(_ sequences: [[Float]], maxlen: Int? = nil) throws -> Tensor
            ```

            Pads scalar steps.

            ---

            ```swift
            func padSequences(_ sequences: [[[Float]]], maxlen: Int? = nil) throws -> Tensor
            ```

            ---

            ```swift
            init(shape: [Int])
            ```

            Zeros.
            """)
        XCTAssertTrue(doc.plainText.hasPrefix("func padSequences(_ sequences: [[Float]], maxlen: Int? = nil) throws -> Tensor\n\nPads scalar steps.\n\nfunc padSequences("), doc.plainText)
        XCTAssertNil(LanguageServerResults.documentation(fromSignatureHelp: ["signatures": [Any]()]))
        XCTAssertNil(LanguageServerResults.documentation(fromSignatureHelp: NSNull()))
    }
}
