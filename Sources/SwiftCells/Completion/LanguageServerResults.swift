import Foundation

/// Turns sourcekit-lsp's answers into what a Jupyter frontend wants: completion items into matches
/// with offsets in the cell, hover contents into plain text and Markdown.
enum LanguageServerResults {
    /// Matches from a `textDocument/completion` result (a `CompletionList` or an item array).
    ///
    /// The server ranks by its own score (`sortText`) and includes fuzzy matches; a notebook user typing
    /// `cou` expects `counter` and `count`, not `ByteCountFormatter`, so items whose name starts with the
    /// typed prefix come first (same case before other case), and fuzzy ones only when nothing starts
    /// with it. Functions are offered by name (`print`, not `print(, separator: , terminator: )`), as
    /// IPython offers them; the full signature goes into the candidate.
    static func completionMatches(from result: Any?, document: SyntheticDocument,
                                  cursorOffset: Int) -> CompletionMatches {
        let items: [[String: Any]]
        if let list = result as? [String: Any] {
            items = list["items"] as? [[String: Any]] ?? []
        } else {
            items = result as? [[String: Any]] ?? []
        }
        let ranked = items.enumerated().sorted { a, b in
            let keyA = a.element["sortText"] as? String ?? a.element["label"] as? String ?? ""
            let keyB = b.element["sortText"] as? String ?? b.element["label"] as? String ?? ""
            return keyA == keyB ? a.offset < b.offset : keyA < keyB
        }.map(\.element)

        var start = IdentifierScanner.tokenStart(in: document.code, before: cursorOffset)
        var end = cursorOffset
        if let range = (ranked.first?["textEdit"] as? [String: Any])?["range"] as? [String: Any],
           let editStart = LSPPosition(json: range["start"]).flatMap(document.codeOffset(of:)),
           let editEnd = LSPPosition(json: range["end"]).flatMap(document.codeOffset(of:)),
           editStart <= cursorOffset {
            start = editStart
            end = max(editEnd, cursorOffset)
        }
        let prefix = String(String.UnicodeScalarView(document.code.unicodeScalars.dropFirst(start).prefix(cursorOffset - start)))

        var sameCase: [CompletionCandidate] = []
        var otherCase: [CompletionCandidate] = []
        var fuzzy: [CompletionCandidate] = []
        var seen = Set<String>()
        for item in ranked {
            let candidate = candidate(from: item)
            guard !candidate.text.isEmpty, seen.insert(candidate.text).inserted else { continue }
            if candidate.text.hasPrefix(prefix) {
                sameCase.append(candidate)
            } else if candidate.text.lowercased().hasPrefix(prefix.lowercased()) {
                otherCase.append(candidate)
            } else {
                fuzzy.append(candidate)
            }
        }
        let chosen = sameCase.isEmpty && otherCase.isEmpty ? fuzzy : sameCase + otherCase
        return CompletionMatches(matches: chosen.map(\.text), startOffset: start, endOffset: end, candidates: chosen)
    }

    /// One completion item as a candidate: the inserted name, the Jupyter type and the signature.
    static func candidate(from item: [String: Any]) -> CompletionCandidate {
        let label = item["label"] as? String ?? ""
        let inserted = (item["textEdit"] as? [String: Any])?["newText"] as? String
            ?? item["insertText"] as? String ?? label
        var text = inserted
        if let paren = inserted.firstIndex(of: "("), paren != inserted.startIndex {
            text = String(inserted[..<paren])
        }
        var signature = label
        if let detail = item["detail"] as? String, !detail.isEmpty, !label.contains("(") {
            signature = "\(label): \(detail)"
        }
        return CompletionCandidate(text: text, kind: jupyterType(ofKind: item["kind"] as? Int), signature: signature)
    }

    /// The Jupyter type name (JupyterLab picks its icon from it) of an LSP `CompletionItemKind`.
    static func jupyterType(ofKind kind: Int?) -> String {
        switch kind {
        case 2, 3, 4, 24: return "function"       // method, function, constructor, operator
        case 5, 10: return "property"             // field, property
        case 6, 12, 20, 21: return "instance"     // variable, value, enum member, constant
        case 7, 8, 13, 22, 25: return "class"     // class, interface, enum, struct, type parameter
        case 9: return "module"
        case 14: return "keyword"
        default: return ""
        }
    }

    /// Documentation from a `textDocument/hover` result; nil when the server found nothing.
    static func documentation(fromHover result: Any?) -> Documentation? {
        guard let hover = result as? [String: Any] else { return nil }
        let markdown = markdownText(hover["contents"]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !markdown.isEmpty else { return nil }
        return Documentation(plainText: plainText(fromMarkdown: markdown), markdown: markdown)
    }

    /// Documentation from a `textDocument/signatureHelp` result: every signature (the overloads of a
    /// name) as a Swift block with its doc comment; nil when there is none.
    static func documentation(fromSignatureHelp result: Any?) -> Documentation? {
        guard let help = result as? [String: Any], let signatures = help["signatures"] as? [[String: Any]]
        else { return nil }
        let parts: [String] = signatures.compactMap { signature in
            guard let label = signature["label"] as? String, !label.isEmpty else { return nil }
            var part = "```swift\n\(declaration(ofSignatureLabel: label))\n```"
            let documentation = markdownText(signature["documentation"]).trimmingCharacters(in: .whitespacesAndNewlines)
            if !documentation.isEmpty { part += "\n\n" + documentation }
            return part
        }
        guard !parts.isEmpty else { return nil }
        let markdown = parts.joined(separator: "\n\n---\n\n")
        return Documentation(plainText: plainText(fromMarkdown: markdown), markdown: markdown)
    }

    /// Signature labels name a function without `func` (`fit(_ x: Tensor, …) -> History`), initialisers
    /// as `init(…)`; hover shows declarations, so functions get their keyword back.
    private static func declaration(ofSignatureLabel label: String) -> String {
        guard let first = label.unicodeScalars.first, first == "_" || first.properties.isXIDStart,
              !label.hasPrefix("init("), !label.hasPrefix("subscript(") else { return label }
        return "func " + label
    }

    /// Hover contents are `MarkupContent`, a `MarkedString` (string or `{language, value}`) or an array.
    private static func markdownText(_ contents: Any?) -> String {
        if let text = contents as? String { return text }
        if let array = contents as? [Any] { return array.map(markdownText).joined(separator: "\n\n---\n\n") }
        guard let object = contents as? [String: Any], let value = object["value"] as? String else { return "" }
        if let language = object["language"] as? String { return "```\(language)\n\(value)\n```" }
        return value
    }

    /// What a pager shows: the Markdown without fences, heading marks and rules.
    static func plainText(fromMarkdown markdown: String) -> String {
        var lines: [String] = []
        var inCode = false
        for rawLine in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            if line.hasPrefix("```") {
                inCode.toggle()
                continue
            }
            if inCode {
                // sourcekit-lsp opens some declaration blocks with an empty line.
                if line.isEmpty, lines.last?.isEmpty ?? true { continue }
                lines.append(line)
            } else if line == "---" {
                lines.append("")
            } else if line.hasPrefix("#") {
                lines.append(String(line.drop(while: { $0 == "#" }).drop(while: { $0 == " " })))
            } else {
                lines.append(line)
            }
        }
        var collapsed: [String] = []
        for line in lines where !(line.isEmpty && (collapsed.last?.isEmpty ?? true)) {
            collapsed.append(line)
        }
        return collapsed.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
