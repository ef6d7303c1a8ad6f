import Foundation
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Compares `actual` with the golden file `Golden/<name>`.
///
/// To regenerate golden files deliberately (after an intended change to a picture or table), run
/// `UPDATE_GOLDEN=1 swift test --filter NotebookDisplayTests`, look at the diff, and commit it. The test
/// then writes into the source tree (next to this file) instead of comparing.
func assertGolden(_ actual: String, named name: String, file: StaticString = #filePath, line: UInt = #line) {
    // This file lives in Tests/NotebookDisplayTests/Support; the golden folder is its parent's sibling.
    let helperPath: String = #filePath
    let sourceDirectory = URL(fileURLWithPath: helperPath).deletingLastPathComponent().deletingLastPathComponent()
    let sourceURL = sourceDirectory.appendingPathComponent("Golden").appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
        do {
            try actual.write(to: sourceURL, atomically: true, encoding: .utf8)
            print("UPDATE_GOLDEN: wrote \(sourceURL.path)")
        } catch {
            XCTFail("could not write golden file \(sourceURL.path): \(error)", file: file, line: line)
        }
        return
    }
    // The bundled copy is what `swift test` ships; the source copy is the fallback when resources lag.
    let bundled = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Golden")
    guard let url = bundled ?? (FileManager.default.fileExists(atPath: sourceURL.path) ? sourceURL : nil),
          let expected = try? String(contentsOf: url, encoding: .utf8) else {
        XCTFail("golden file Golden/\(name) is missing; create it with UPDATE_GOLDEN=1 swift test --filter NotebookDisplayTests",
                file: file, line: line)
        return
    }
    if expected != actual {
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let firstDiff = zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? Swift.min(a.count, e.count)
        let got = firstDiff < a.count ? String(a[firstDiff]) : "<end>"
        let want = firstDiff < e.count ? String(e[firstDiff]) : "<end>"
        XCTFail("""
            output differs from Golden/\(name) at line \(firstDiff + 1):
              expected: \(want.prefix(300))
              actual:   \(got.prefix(300))
            (re-generate deliberately with UPDATE_GOLDEN=1 if the change is intended)
            """, file: file, line: line)
    }
}

/// Parses `svg` with Foundation's XMLParser and checks what renderers need: an `<svg>` root in the SVG
/// namespace with width, height and viewBox, no scripts and no external references.
func assertWellFormedSVG(_ svg: String, file: StaticString = #filePath, line: UInt = #line) {
    let checker = SVGChecker()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = checker
    let ok = parser.parse()
    XCTAssertTrue(ok, "SVG is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "unknown") at line \(parser.lineNumber)",
                  file: file, line: line)
    XCTAssertEqual(checker.root, "svg", "root element must be <svg>", file: file, line: line)
    XCTAssertEqual(checker.rootAttributes["xmlns"], "http://www.w3.org/2000/svg", file: file, line: line)
    for attribute in ["width", "height", "viewBox"] {
        XCTAssertNotNil(checker.rootAttributes[attribute], "<svg> needs \(attribute) to render at its size", file: file, line: line)
    }
    XCTAssertFalse(checker.elements.contains("script"), "no scripts in notebook SVG", file: file, line: line)
    XCTAssertFalse(svg.contains("href="), "no external references", file: file, line: line)
}

private final class SVGChecker: NSObject, XMLParserDelegate {
    var root: String?
    var rootAttributes: [String: String] = [:]
    var elements: Set<String> = []
    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        if root == nil {
            root = elementName
            rootAttributes = attributeDict
        }
        elements.insert(elementName)
    }
}

/// The texts of all `<text>` elements of an SVG, in document order (what a reader sees on the picture).
func svgTexts(_ svg: String) -> [String] {
    let collector = TextCollector()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = collector
    _ = parser.parse()
    return collector.texts
}

private final class TextCollector: NSObject, XMLParserDelegate {
    var texts: [String] = []
    private var current: String?
    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        if elementName == "text" { current = "" }
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { current? += string }
    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        if elementName == "text", let c = current { texts.append(c); current = nil }
    }
}
