@testable import SwiftCells
import XCTest

/// What the parser must find in a cell: every top-level name with the kind a scoped import needs, the
/// imports, and the last expression — mistakes here lose state between cells.
final class CellAnalyzerTests: XCTestCase {
    func testFindsEveryDeclarationKind() {
        let analysis = CellAnalyzer.analyze("""
            let a = 1, (b, c) = (2, 3)
            var d: Int = 4
            func e() {}
            struct F {}
            class G {}
            enum H { case x }
            protocol I {}
            typealias J = Int
            actor K {}
            """)
        XCTAssertEqual(analysis.declarations.map(\.name), ["a", "b", "c", "d", "e", "F", "G", "H", "I", "J", "K"])
        XCTAssertEqual(analysis.declarations.map(\.kind),
                       [.let, .let, .let, .var, .func, .struct, .class, .enum, .protocol, .typealias, .actor])
        XCTAssertEqual(DeclarationKind.actor.importKeyword, "class")
    }

    func testNestedAndPrivateNamesAreNotState() {
        let analysis = CellAnalyzer.analyze("""
            struct Outer { let inner = 1; func method() {} }
            private let hidden = 1
            fileprivate func alsoHidden() {}
            for i in 0..<3 { let loopLocal = i }
            do { let scoped = 2 }
            """)
        XCTAssertEqual(analysis.declaredNames, ["Outer"])
    }

    func testImportsOperatorsAndExtensionsAreNoted() {
        let analysis = CellAnalyzer.analyze("""
            import Foundation
            import struct LSTMKit.Tensor
            extension Int { var twice: Int { self * 2 } }
            infix operator <*> : MultiplicationPrecedence
            func <*> (a: Int, b: Int) -> Int { a * b }
            """)
        XCTAssertEqual(analysis.imports, ["import Foundation", "import struct LSTMKit.Tensor"])
        XCTAssertTrue(analysis.declaresExtensions)
        XCTAssertTrue(analysis.declaresOperators)
        XCTAssertEqual(analysis.declaredNames, [], "an operator function is not importable by name")
    }

    func testLastValueExpressionIsFound() {
        let code = "let xs = [1, 2]\n  xs.map { $0 * 2 }  // doubled\n"
        let last = CellAnalyzer.analyze(code).lastExpression
        XCTAssertEqual(last?.text, "xs.map { $0 * 2 }")
        XCTAssertEqual(last.map { String(decoding: Array(code.utf8)[$0.utf8Range], as: UTF8.self) }, "xs.map { $0 * 2 }")
        XCTAssertEqual(CellAnalyzer.analyze("try compute()").lastExpression?.text, "try compute()")
    }

    func testStatementsAndAssignmentsAreNotResults() {
        for code in ["x = 1", "x += 1", "_ = f()", "if ok { print(1) } else { print(2) }",
                     "switch v { default: break }", "let y = 3", "for i in 0..<2 { print(i) }",
                     "struct S {}", "try x = f()"] {
            XCTAssertNil(CellAnalyzer.analyze(code).lastExpression, code)
        }
        for code in ["a == b", "x <= 3", "f()", "42", "\"text\""] {
            XCTAssertNotNil(CellAnalyzer.analyze(code).lastExpression, code)
        }
    }

    func testTopLevelAwaitIsDetectedButNotInsideFunctionsOrClosures() {
        XCTAssertTrue(CellAnalyzer.analyze("let v = await load()").usesTopLevelAwait)
        XCTAssertTrue(CellAnalyzer.analyze("for await x in stream { print(x) }").usesTopLevelAwait)
        XCTAssertFalse(CellAnalyzer.analyze("func g() async { await load() }").usesTopLevelAwait)
        XCTAssertFalse(CellAnalyzer.analyze("Task { await load() }").usesTopLevelAwait)
        XCTAssertFalse(CellAnalyzer.analyze("actor A { func f() async { await g() } }").usesTopLevelAwait)
    }
}
