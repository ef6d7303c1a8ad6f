import Foundation
@testable import SwiftCells
import XCTest

/// The generated `main.swift` of a cell, compared with golden files in `Golden/` (beside this file).
/// Set `UPDATE_GOLDEN=1` to rewrite them after an intended change, then review the diff.
final class CellSourceGeneratorTests: XCTestCase {
    private let generator = CellSourceGenerator(implicitImports: ["LSTMKit", "NotebookDisplay"],
                                                resultFunction: "NotebookDisplay._notebookCellResult")

    /// Cells 1–3 of a small session, then cell 4's generated source.
    private func session() -> (SymbolTable, [String]) {
        let cells = [
            "import Foundation\nstruct Point { var x: Int }\nvar counter = 1\nfunc next() -> Int { counter + 1 }",
            "extension Int { var doubled: Int { self * 2 } }\nlet counter = \"now text\"",
            "infix operator <+> : AdditionPrecedence\nfunc <+> (a: Int, b: Int) -> Int { a * 10 + b }\nclass Box {}",
        ]
        var table = SymbolTable()
        var sources: [String] = []
        for (index, code) in cells.enumerated() {
            let analysis = CellAnalyzer.analyze(code)
            sources.append(generator.generate(code: code, analysis: analysis, table: table, module: index + 1))
            table.record(analysis, module: index + 1)
        }
        return (table, sources)
    }

    func testGeneratedSourcesMatchGolden() throws {
        var (table, sources) = session()
        let code = "let p = Point(x: 2)\nprint(counter, next(), 1 <+> 2, 4.doubled)\np.x * 3"
        sources.append(generator.generate(code: code, analysis: CellAnalyzer.analyze(code), table: table, module: 4))
        table.record(CellAnalyzer.analyze(code), module: 4)
        for (index, source) in sources.enumerated() {
            try assertGolden(source, "cell\(index + 1).swift")
        }
    }

    func testTheNewestDeclarationWinsAndOwnNamesAreNotImported() {
        let (table, _) = session()
        XCTAssertEqual(table.entries["counter"], SymbolTable.Entry(kind: .let, module: 2))
        let header = generator.header(for: table, excluding: ["Box"])
        XCTAssertTrue(header.contains("@testable import let Cell2.counter\n"))
        XCTAssertFalse(header.contains("Cell1.counter"))
        XCTAssertFalse(header.contains("Box"))
        XCTAssertTrue(header.contains("@testable import Cell3\n"), "operators need the whole module")
        XCTAssertTrue(header.contains("@testable import enum Cell2._Cell2Anchor\n"), "extensions need the module")
        XCTAssertTrue(header.hasPrefix("import LSTMKit\nimport NotebookDisplay\nimport Foundation\n"))
    }

    func testWithoutAResultFunctionTheLastExpressionIsLeftAlone() {
        let plain = CellSourceGenerator(implicitImports: [], resultFunction: nil)
        let source = plain.generate(code: "1 + 1", analysis: CellAnalyzer.analyze("1 + 1"), table: SymbolTable(), module: 1)
        XCTAssertTrue(source.contains("#sourceLocation(file: \"<cell 1>\", line: 1)\n1 + 1\n"))
        XCTAssertEqual(plain.wrapperPrefixLength, 0)
    }

    private func assertGolden(_ actual: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
            .appendingPathComponent("Golden").appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] != nil {
            try actual.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(actual, expected, "generated source differs from Golden/\(name)", file: file, line: line)
    }
}
