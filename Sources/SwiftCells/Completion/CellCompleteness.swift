import SwiftParser
import SwiftSyntax

/// Whether a cell is ready to run, as `is_complete_request` asks: a console sends the code when it is
/// `complete`, keeps reading lines (indented by `indent`) when it is `incomplete`, and runs it anyway
/// when it is `invalid` so that the compiler can explain the error.
public enum CellCompleteness: Equatable, Sendable {
    /// The code parses as a whole cell.
    case complete
    /// More lines could finish the code (an open brace, bracket, parenthesis, `#if`, multi-line string or
    /// block comment, or an expression cut off at the end); `indent` is 4 spaces per open level.
    case incomplete(indent: String)
    /// The code has a syntax error that more input cannot fix.
    case invalid
}

/// Decides whether `code` is a complete cell, using SwiftParser (the same grammar swiftc uses).
///
/// The rule: an error located where the input ends (a missing closing delimiter or a missing operand)
/// can be fixed by typing more, so the cell is `incomplete`; an error anywhere before the end, a stray
/// closing delimiter, a lexer error or an unterminated single-line string cannot, so it is `invalid`.
/// Leading magic lines (`%%time`, `%who`, …) are not Swift and are skipped, as the cell engine strips
/// them before compiling.
public func checkCompleteness(_ code: String) -> CellCompleteness {
    let swiftCode = blankingLeadingMagicLines(code)
    if swiftCode.allSatisfy(\.isWhitespace) { return .complete }
    let tree = Parser.parse(source: swiftCode)
    var scan = DelimiterScan()
    scan.scan(tree)
    if scan.hasStrayCloser || scan.hasLexerError { return .invalid }

    let unterminated = UnterminatedStringFinder(viewMode: .all)
    unterminated.walk(tree)
    if unterminated.singleLine { return .invalid }

    // Where the user's input really ends: missing tokens the parser inserted at or after this point are
    // "not typed yet", anything missing or unexpected before it is a genuine error.
    let inputEnd = scan.lastPresentTokenEnd
    let errors = ErrorLocator(viewMode: .all)
    errors.walk(tree)
    if errors.hasUnexpectedTokens { return .invalid }
    if errors.missingTokenPositions.contains(where: { $0 < inputEnd }) { return .invalid }

    let indent = String(repeating: " ", count: 4 * scan.openDelimiters.count)
    if !scan.openDelimiters.isEmpty || unterminated.multiLine || scan.hasUnterminatedBlockComment
        || !errors.missingTokenPositions.isEmpty {
        return .incomplete(indent: indent)
    }
    return .complete
}

/// Replaces the cell's leading `%` magic lines by empty lines, keeping line numbers.
private func blankingLeadingMagicLines(_ code: String) -> String {
    var lines = code.split(separator: "\n", omittingEmptySubsequences: false)
    for index in lines.indices {
        let trimmed = lines[index].drop(while: { $0 == " " || $0 == "\t" })
        if trimmed.isEmpty { continue }
        guard trimmed.first == "%" else { break }
        lines[index] = ""
    }
    return lines.joined(separator: "\n")
}

/// Matches opening and closing delimiters over the tokens actually present in the source.
private struct DelimiterScan {
    /// Open `{`, `(`, `[` and `#if` tokens, innermost last.
    var openDelimiters: [TokenKind] = []
    var hasStrayCloser = false
    var hasLexerError = false
    var hasUnterminatedBlockComment = false
    var lastPresentTokenEnd = AbsolutePosition(utf8Offset: 0)

    mutating func scan(_ tree: SourceFileSyntax) {
        for token in tree.tokens(viewMode: .sourceAccurate) {
            if let diagnostic = token.tokenDiagnostic, diagnostic.severity == .error {
                if diagnostic.kind == .unterminatedBlockComment {
                    hasUnterminatedBlockComment = true
                } else if !isInsideMultiLineString(token) {
                    hasLexerError = true
                }
            }
            if token.tokenKind == .endOfFile { continue }
            lastPresentTokenEnd = token.endPositionBeforeTrailingTrivia
            switch token.tokenKind {
            case .leftBrace, .leftParen, .leftSquare, .poundIf:
                openDelimiters.append(token.tokenKind)
            case .rightBrace: close(.leftBrace)
            case .rightParen: close(.leftParen)
            case .rightSquare: close(.leftSquare)
            case .poundEndif: close(.poundIf)
            default: break
            }
        }
    }

    private mutating func close(_ opener: TokenKind) {
        if openDelimiters.last == opener {
            openDelimiters.removeLast()
        } else {
            hasStrayCloser = true
        }
    }

    /// Indentation complaints inside an unfinished multi-line string go away once it is closed.
    private func isInsideMultiLineString(_ token: TokenSyntax) -> Bool {
        var node = token.parent
        while let current = node {
            if let literal = current.as(StringLiteralExprSyntax.self) {
                return literal.openingQuote.tokenKind == .multilineStringQuote
            }
            node = current.parent
        }
        return false
    }
}

/// Finds string literals whose closing quote is missing.
private final class UnterminatedStringFinder: SyntaxVisitor {
    var singleLine = false
    var multiLine = false

    override func visit(_ node: StringLiteralExprSyntax) -> SyntaxVisitorContinueKind {
        if node.closingQuote.presence == .missing {
            if node.openingQuote.tokenKind == .multilineStringQuote { multiLine = true } else { singleLine = true }
        }
        return .visitChildren
    }
}

/// Collects where the parser inserted missing tokens and where it set aside unexpected ones.
private final class ErrorLocator: SyntaxVisitor {
    var missingTokenPositions: [AbsolutePosition] = []
    /// Unexpected tokens are ones the user typed, so they always lie before the end of the input.
    var hasUnexpectedTokens = false

    override func visit(_ token: TokenSyntax) -> SyntaxVisitorContinueKind {
        if token.presence == .missing { missingTokenPositions.append(token.position) }
        return .skipChildren
    }

    override func visit(_ node: UnexpectedNodesSyntax) -> SyntaxVisitorContinueKind {
        if node.tokens(viewMode: .sourceAccurate).contains(where: { _ in true }) { hasUnexpectedTokens = true }
        return .skipChildren
    }
}
