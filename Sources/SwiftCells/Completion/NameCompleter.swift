import Foundation

/// Completion without a language server: when sourcekit-lsp is missing, still starting, slow or
/// crashed, a notebook user typing `cou` after a cell that declared `counter` still gets `counter`.
///
/// Candidates are the names earlier cells declared (read from the prelude's scoped imports), the
/// modules it imports, the words of the cell itself, Swift keywords, common standard-library names and
/// any names the caller adds. It does not know members, so it offers nothing after a `.`.
public struct NameCompleter: Sendable {
    /// Every candidate, in priority order, without duplicates.
    public let names: [String]

    /// Candidates from `prelude` (scoped imports such as `@testable import var Cell2.counter` give
    /// `counter`; `import LSTMKit` gives `LSTMKit`), then `extraNames`, standard names and keywords.
    public init(prelude: String, extraNames: [String] = []) {
        var ordered: [String] = []
        var seen = Set<String>()
        for name in Self.declaredNames(inPrelude: prelude) + extraNames + Self.standardNames + Self.keywords
        where seen.insert(name).inserted {
            ordered.append(name)
        }
        names = ordered
    }

    /// Matches for the identifier being typed before `cursorOffset` (Unicode scalars) in `code`, the
    /// cell's own words included; nil when the cursor is not after a name prefix or follows a `.`.
    public func complete(code: String, cursorOffset: Int) -> CompletionMatches? {
        let scalars = Array(code.unicodeScalars)
        let cursor = min(max(0, cursorOffset), scalars.count)
        let start = IdentifierScanner.tokenStart(in: code, before: cursor)
        guard start < cursor else { return nil }
        if start > 0, scalars[start - 1] == "." { return nil }
        var end = cursor
        while end < scalars.count, IdentifierScanner.isIdentifierScalar(scalars[end]) { end += 1 }
        let prefix = String(String.UnicodeScalarView(scalars[start..<cursor]))
        let cellWords = IdentifierScanner.identifiers(in: code, excluding: start..<end)
        var seen = Set<String>()
        var sameCase: [String] = []
        var otherCase: [String] = []
        for name in cellWords + names where seen.insert(name).inserted {
            if name.hasPrefix(prefix) {
                sameCase.append(name)
            } else if name.lowercased().hasPrefix(prefix.lowercased()) {
                otherCase.append(name)
            }
        }
        let matches = sameCase + otherCase
        guard !matches.isEmpty else { return nil }
        let candidates = matches.map {
            CompletionCandidate(text: $0, kind: Self.keywords.contains($0) ? "keyword" : "", signature: $0)
        }
        return CompletionMatches(matches: matches, startOffset: start, endOffset: end, candidates: candidates)
    }

    /// Completes a magic being typed where magics are allowed, the cell's leading lines (`%ti` →
    /// `%timeit`, `%%t` → `%%time`), from the kernel's `magics` (names with their `%` or `%%`).
    /// Nil when the cursor is not at the end of a `%` word in those lines.
    public static func completeMagic(code: String, cursorOffset: Int, magics: [String]) -> CompletionMatches? {
        let scalars = Array(code.unicodeScalars)
        let cursor = min(max(0, cursorOffset), scalars.count)
        var lineStart = cursor
        while lineStart > 0, scalars[lineStart - 1] != "\n", scalars[lineStart - 1] != "\r" { lineStart -= 1 }
        // Every earlier non-blank line must be a magic too: below the first Swift line, `%` is an operator.
        let earlierLines = String(String.UnicodeScalarView(scalars[0..<lineStart])).split(whereSeparator: \.isNewline)
        guard earlierLines.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty || $0.drop(while: \.isWhitespace).hasPrefix("%") })
        else { return nil }
        var start = lineStart
        while start < cursor, scalars[start] == " " || scalars[start] == "\t" { start += 1 }
        guard start < cursor, scalars[start] == "%" else { return nil }
        let typed = scalars[start..<cursor]
        let body = typed.drop(while: { $0 == "%" })
        guard typed.count - body.count <= 2, body.allSatisfy(IdentifierScanner.isIdentifierScalar) else { return nil }
        var end = cursor
        while end < scalars.count, IdentifierScanner.isIdentifierScalar(scalars[end]) { end += 1 }
        let prefix = String(String.UnicodeScalarView(typed))
        let matches = magics.filter { $0.hasPrefix(prefix) }
        guard !matches.isEmpty else { return nil }
        let candidates = matches.map { CompletionCandidate(text: $0, kind: "magic", signature: $0) }
        return CompletionMatches(matches: matches, startOffset: start, endOffset: end, candidates: candidates)
    }

    /// Names the prelude brings into scope: the last component of each scoped import
    /// (`@testable import struct Cell1.Point` → `Point`) and each plainly imported module.
    public static func declaredNames(inPrelude prelude: String) -> [String] {
        var names: [String] = []
        for line in prelude.split(whereSeparator: \.isNewline) {
            let words = line.split(separator: " ").filter { !$0.hasPrefix("@") }
            guard words.first == "import", let path = words.last, words.count >= 2 else { continue }
            if words.count == 2 {
                names.append(String(path.split(separator: ".").first ?? path))
            } else if let name = path.split(separator: ".").last {
                names.append(String(name))
            }
        }
        return names
    }

    /// Swift keywords a cell starts statements and declarations with.
    static let keywords: [String] = [
        "let", "var", "func", "struct", "class", "enum", "protocol", "extension", "typealias", "import",
        "if", "else", "guard", "for", "in", "while", "repeat", "switch", "case", "default", "break",
        "continue", "return", "throw", "throws", "rethrows", "try", "catch", "do", "defer", "true", "false",
        "nil", "self", "Self", "init", "deinit", "subscript", "where", "as", "is", "inout", "static",
        "private", "fileprivate", "internal", "public", "open", "final", "mutating", "nonmutating", "lazy",
        "weak", "unowned", "some", "any", "async", "await", "operator", "associatedtype", "indirect",
        "override", "convenience", "required", "fallthrough",
    ]

    /// Standard-library functions and types used in almost every notebook.
    static let standardNames: [String] = [
        "print", "debugPrint", "dump", "min", "max", "abs", "zip", "stride", "sequence", "repeatElement",
        "precondition", "assert", "fatalError", "readLine", "type", "swap", "Int", "Int32", "Int64",
        "UInt", "Double", "Float", "Bool", "String", "Character", "Array", "Dictionary", "Set",
        "Optional", "Result", "Range", "ClosedRange", "Error", "Equatable", "Hashable", "Comparable",
        "Codable", "CustomStringConvertible", "Sequence", "Collection",
    ]
}
