import SwiftParser
import SwiftSyntax

/// Finds a cell's top-level declarations, imports and last expression with SwiftParser.
///
/// Only the syntax is looked at: types are the compiler's business. A cell with syntax errors is still
/// analysed as far as the parser recovered; the compiler then reports the errors with caret lines.
public enum CellAnalyzer {
    /// Analyses the code of one cell (magic lines already removed).
    public static func analyze(_ code: String) -> CellAnalysis {
        let file = Parser.parse(source: code)
        var analysis = CellAnalysis(declarations: [], imports: [], declaresOperators: false,
                                    declaresExtensions: false, lastExpression: nil, syntaxErrorCount: 0)
        for item in file.statements {
            switch item.item {
            case .decl(let decl):
                record(decl, into: &analysis)
            default:
                break
            }
        }
        analysis.lastExpression = lastExpression(of: file)
        let awaitFinder = TopLevelAwaitFinder(viewMode: .sourceAccurate)
        awaitFinder.walk(file)
        analysis.usesTopLevelAwait = awaitFinder.found
        analysis.syntaxErrorCount = file.hasError ? countErrors(file) : 0
        return analysis
    }

    private static func record(_ decl: DeclSyntax, into analysis: inout CellAnalysis) {
        // `private`/`fileprivate` names are invisible to other modules even with @testable.
        if let modifiers = decl.asProtocol(WithModifiersSyntax.self)?.modifiers,
           modifiers.contains(where: { ["private", "fileprivate"].contains($0.name.text) }) {
            if decl.is(ExtensionDeclSyntax.self) { analysis.declaresExtensions = true }
            return
        }
        func add(_ name: TokenSyntax, _ kind: DeclarationKind) {
            analysis.declarations.append(TopLevelDeclaration(name: name.text, kind: kind))
        }
        if let v = decl.as(VariableDeclSyntax.self) {
            let kind: DeclarationKind = v.bindingSpecifier.tokenKind == .keyword(.let) ? .let : .var
            for binding in v.bindings {
                for name in boundNames(binding.pattern) {
                    analysis.declarations.append(TopLevelDeclaration(name: name, kind: kind))
                }
            }
        } else if let f = decl.as(FunctionDeclSyntax.self) {
            if case .binaryOperator = f.name.tokenKind {
                analysis.declaresOperators = true
            } else if case .prefixOperator = f.name.tokenKind {
                analysis.declaresOperators = true
            } else if case .postfixOperator = f.name.tokenKind {
                analysis.declaresOperators = true
            } else {
                add(f.name, .func)
            }
        } else if let s = decl.as(StructDeclSyntax.self) {
            add(s.name, .struct)
        } else if let c = decl.as(ClassDeclSyntax.self) {
            add(c.name, .class)
        } else if let e = decl.as(EnumDeclSyntax.self) {
            add(e.name, .enum)
        } else if let p = decl.as(ProtocolDeclSyntax.self) {
            add(p.name, .protocol)
        } else if let t = decl.as(TypeAliasDeclSyntax.self) {
            add(t.name, .typealias)
        } else if let a = decl.as(ActorDeclSyntax.self) {
            add(a.name, .actor)
        } else if decl.is(OperatorDeclSyntax.self) || decl.is(PrecedenceGroupDeclSyntax.self) {
            analysis.declaresOperators = true
        } else if decl.is(ExtensionDeclSyntax.self) {
            analysis.declaresExtensions = true
        } else if let i = decl.as(ImportDeclSyntax.self) {
            analysis.imports.append(i.trimmedDescription)
        }
    }

    /// Names bound by a pattern: `x`, `(a, b)`, `(a, (b, c))`, `x: Int`.
    private static func boundNames(_ pattern: PatternSyntax) -> [String] {
        if let id = pattern.as(IdentifierPatternSyntax.self) {
            return [id.identifier.text]
        }
        if let tuple = pattern.as(TuplePatternSyntax.self) {
            return tuple.elements.flatMap { boundNames($0.pattern) }
        }
        return []
    }

    /// The final top-level item when it is an expression worth showing as the cell's result.
    private static func lastExpression(of file: SourceFileSyntax) -> LastExpression? {
        guard let last = file.statements.last else { return nil }
        let expr: ExprSyntax
        switch last.item {
        case .expr(let e):
            expr = e
        case .stmt(let s):
            // A bare expression can also arrive wrapped as an expression statement.
            guard let es = s.as(ExpressionStmtSyntax.self) else { return nil }
            expr = es.expression
        default:
            return nil
        }
        guard isValueExpression(expr) else { return nil }
        let start = expr.positionAfterSkippingLeadingTrivia.utf8Offset
        let end = expr.endPositionBeforeTrailingTrivia.utf8Offset
        return LastExpression(utf8Range: start..<end, text: expr.trimmedDescription)
    }

    /// False for expressions used as statements whose wrapping would change their meaning or not compile:
    /// assignments (`x = 1`, `x += 1`, `_ = f()`) and `if`/`switch` written as statements.
    static func isValueExpression(_ expr: ExprSyntax) -> Bool {
        if expr.hasError || expr.is(MissingExprSyntax.self) { return false }
        if let t = expr.as(TryExprSyntax.self) { return isValueExpression(t.expression) }
        if let a = expr.as(AwaitExprSyntax.self) { return isValueExpression(a.expression) }
        if expr.is(IfExprSyntax.self) || expr.is(SwitchExprSyntax.self) { return false }
        if expr.is(AssignmentExprSyntax.self) { return false }
        if let seq = expr.as(SequenceExprSyntax.self) {
            return !seq.elements.contains { isAssignmentOperator($0) }
        }
        if let infix = expr.as(InfixOperatorExprSyntax.self) {
            return !isAssignmentOperator(infix.operator)
        }
        return true
    }

    private static func isAssignmentOperator(_ expr: ExprSyntax) -> Bool {
        if expr.is(AssignmentExprSyntax.self) { return true }
        guard let op = expr.as(BinaryOperatorExprSyntax.self)?.operator.text else { return false }
        let comparisons: Set<String> = ["==", "!=", "<=", ">=", "===", "!=="]
        return op.hasSuffix("=") && !comparisons.contains(op)
    }

    private static func countErrors(_ file: SourceFileSyntax) -> Int {
        var count = 0
        for token in file.tokens(viewMode: .all) where token.presence == .missing || token.hasError {
            count += 1
        }
        return max(count, 1)
    }
}

/// Finds `await` (or `for await`) in top-level code, not looking into functions, closures or types.
private final class TopLevelAwaitFinder: SyntaxVisitor {
    var found = false
    override func visit(_ node: AwaitExprSyntax) -> SyntaxVisitorContinueKind {
        found = true
        return .skipChildren
    }
    override func visit(_ node: ForStmtSyntax) -> SyntaxVisitorContinueKind {
        if node.awaitKeyword != nil { found = true }
        return .visitChildren
    }
    override func visit(_ node: ClosureExprSyntax) -> SyntaxVisitorContinueKind { .skipChildren }
    override func visit(_ node: FunctionDeclSyntax) -> SyntaxVisitorContinueKind { .skipChildren }
    override func visit(_ node: InitializerDeclSyntax) -> SyntaxVisitorContinueKind { .skipChildren }
    override func visit(_ node: AccessorBlockSyntax) -> SyntaxVisitorContinueKind { .skipChildren }
    override func visit(_ node: MemberBlockSyntax) -> SyntaxVisitorContinueKind { .skipChildren }
}
