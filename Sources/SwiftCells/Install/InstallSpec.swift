import Foundation
import SwiftParser
import SwiftSyntax

/// One `%install SPEC PRODUCT…` line: a SwiftPM dependency exactly as a Package.swift writes it, and the
/// products of that package the cells want.
public struct InstallRequest: Equatable, Sendable {
    /// The `.package(…)` expression as written (a relative `path:` made absolute).
    public var spec: String
    /// SwiftPM's identity of the package: the last component of its URL or path, without `.git`, in
    /// lower case.
    public var identity: String
    /// The same name as written (for messages: `SwiftCSV`, not `swiftcsv`).
    public var name: String
    /// The folder of a `.package(path:)` dependency (absolute), nil for a URL.
    public var localPath: String?
    /// The products to link, in the order given.
    public var products: [String]

    /// Parses the argument of `%install` (everything after the magic's name). `column` is the 1-based
    /// column of `argument`'s first character in the cell line, so errors can point into the line.
    /// Relative `path:` folders are taken from `directory` (the notebook's folder).
    public static func parse(_ argument: String, column: Int, directory: String) throws(CellError) -> InstallRequest {
        let text = argument.trimmingLeadingSpaces()
        let lead = argument.count - text.count
        let usage = "usage: %install .package(url: \"https://github.com/OWNER/NAME\", from: \"1.0.0\") PRODUCT…"
        guard !text.isEmpty else { throw .install("%install needs a package and its products; " + usage) }
        let end = Self.endOfCall(text)
        let specText = String(text.prefix(end))
        let products = text.dropFirst(end).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)

        var parser = Parser(specText)
        let expression = ExprSyntax.parse(from: &parser)
        if let bad = Self.firstProblem(in: Syntax(expression), length: specText.utf8.count) {
            let col = column + lead + Self.characterOffset(specText, utf8: bad.offset)
            throw .install("the package spec does not parse at column \(col) (\(bad.what)): expected a "
                + "SwiftPM dependency such as .package(url: \"https://github.com/apple/swift-collections\", "
                + "from: \"1.1.0\") or .package(path: \"../mylib\"); got `\(specText)`")
        }
        guard let call = expression.as(FunctionCallExprSyntax.self),
              let member = call.calledExpression.as(MemberAccessExprSyntax.self),
              member.base == nil, member.declName.baseName.text == "package" else {
            throw .install("the package spec must be a `.package(…)` call as in a Package.swift; got `\(specText)`")
        }
        var url: String?
        var path: String?
        for argument in call.arguments {
            guard let label = argument.label?.text, label == "url" || label == "path" else { continue }
            guard let literal = argument.expression.as(StringLiteralExprSyntax.self),
                  let value = literal.representedLiteralValue else {
                throw .install("`\(label):` must be a plain string literal in `\(specText)`")
            }
            if label == "url" { url = value } else { path = value }
        }
        guard url != nil || path != nil else {
            throw .install("the package spec names neither `url:` nor `path:`: `\(specText)`")
        }
        guard !products.isEmpty else {
            throw .install("name the products to install after the package spec (e.g. `%install \(specText) "
                + "Collections`); " + usage)
        }
        // Product names go into the generated manifest as string literals.
        if let bad = products.first(where: { !$0.allSatisfy { $0.isLetter || $0.isNumber || "_-.".contains($0) } }) {
            throw .install("`\(bad)` is not a product name (letters, digits, `_`, `-` and `.` only)")
        }
        var spec = specText
        var localPath: String?
        if let path {
            let absolute = path.hasPrefix("/") ? path : directory + "/" + path
            let standard = Self.standardize(absolute)
            localPath = standard
            let escaped = standard.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"")
            spec = ".package(path: \"\(escaped)\")"
        }
        let location = url ?? path ?? ""
        var identity = String(location.split(separator: "/").last ?? Substring(location))
        if identity.hasSuffix(".git") { identity = String(identity.dropLast(4)) }
        return InstallRequest(spec: spec, identity: identity.lowercased(), name: identity, localPath: localPath,
                              products: products)
    }

    /// The length (in characters) of a leading balanced `( … )` call, strings respected; the whole text
    /// when the parentheses never close (the parser then says where it went wrong).
    static func endOfCall(_ text: String) -> Int {
        var depth = 0
        var inString = false
        var escaped = false
        var sawParen = false
        for (i, c) in text.enumerated() {
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                continue
            }
            switch c {
            case "\"": inString = true
            case "(": depth += 1; sawParen = true
            case ")":
                depth -= 1
                if depth == 0 && sawParen { return i + 1 }
            case " ", "\t":
                if !sawParen { return i }
            default: break
            }
        }
        return text.count
    }

    /// The first missing or unexpected token, or text the expression did not cover.
    private static func firstProblem(in tree: Syntax, length: Int) -> (offset: Int, what: String)? {
        for token in tree.tokens(viewMode: .all) {
            if token.presence == .missing {
                return (token.position.utf8Offset, token.text.hasPrefix("<#") ? "a value is missing" : "expected `\(token.text)`")
            }
            var node = token.parent
            var unexpected = false
            while let current = node {
                if current.is(UnexpectedNodesSyntax.self) { unexpected = true; break }
                node = current.parent
            }
            if unexpected {
                return (token.positionAfterSkippingLeadingTrivia.utf8Offset, "unexpected `\(token.text)`")
            }
        }
        let trailing = tree.endPosition.utf8Offset
        if trailing < length { return (trailing, "unexpected text after the expression") }
        return nil
    }

    private static func characterOffset(_ text: String, utf8 offset: Int) -> Int {
        let index = text.utf8.index(text.utf8.startIndex, offsetBy: min(offset, text.utf8.count))
        return text.distance(from: text.startIndex, to: index)
    }

    /// Removes `.` and `..` components.
    static func standardize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}

extension String {
    func trimmingLeadingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }))
    }
}
