/// The kind of a top-level declaration, spelled as in a scoped import (`import <kind> Module.name`).
public enum DeclarationKind: String, Equatable, Hashable, Sendable, CaseIterable {
    case `let`, `var`, `func`, `struct`, `class`, `enum`, `protocol`, `typealias`
    /// Actors are imported with the `class` import kind.
    case actor

    /// The keyword a scoped import uses for this kind (`actor` has none of its own: it is `class`).
    public var importKeyword: String {
        switch self {
        case .actor: return "class"
        default: return rawValue
        }
    }
}

/// One named top-level declaration of a cell.
public struct TopLevelDeclaration: Equatable, Hashable, Sendable {
    /// The declared name, e.g. `counter`, `Point`.
    public var name: String
    public var kind: DeclarationKind
    public init(name: String, kind: DeclarationKind) {
        self.name = name
        self.kind = kind
    }
}

/// The last top-level expression of a cell, located in the cell's UTF-8 text.
public struct LastExpression: Equatable, Sendable {
    /// UTF-8 byte offsets of the expression (without surrounding trivia) in the cell's code.
    public var utf8Range: Range<Int>
    /// The expression's text, e.g. `model.summary()`.
    public var text: String
}

/// What the cell engine needs to know about one cell's code, found with SwiftParser.
public struct CellAnalysis: Equatable, Sendable {
    /// Named top-level declarations in source order (a name declared twice appears twice).
    public var declarations: [TopLevelDeclaration]
    /// The cell's `import` declarations, as written (trimmed), e.g. `import Foundation`.
    public var imports: [String]
    /// Whether the cell declares operators or precedence groups (or operator functions): later cells
    /// then need a whole-module import of it, since operators cannot be imported by a scoped import.
    public var declaresOperators: Bool
    /// Whether the cell declares extensions: later cells must import its module for them to apply.
    public var declaresExtensions: Bool
    /// The final top-level expression when it can be shown as the cell's result (not an assignment,
    /// not an `if`/`switch` statement); nil otherwise.
    public var lastExpression: LastExpression?
    /// Whether top-level code uses `await` (outside functions and closures): script-mode async main ends
    /// the process when done, so such cells are refused with a clear message instead.
    public var usesTopLevelAwait: Bool = false
    /// Syntax errors SwiftParser found, as `(line, column, message)`; the compiler reports them in full.
    public var syntaxErrorCount: Int

    /// Names declared by this cell (each once, first occurrence order).
    public var declaredNames: [String] {
        var seen = Set<String>()
        return declarations.compactMap { seen.insert($0.name).inserted ? $0.name : nil }
    }
}
