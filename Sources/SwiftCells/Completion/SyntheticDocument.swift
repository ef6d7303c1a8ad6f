/// A position as the Language Server Protocol counts it: zero-based line, and UTF-16 code units from
/// the start of that line (the protocol's default encoding, which sourcekit-lsp uses).
struct LSPPosition: Equatable, Sendable {
    var line: Int
    var character: Int

    /// The `{"line": …, "character": …}` object of the protocol.
    var json: [String: Any] { ["line": line, "character": character] }

    init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }

    /// Reads a protocol position object; nil when a field is missing.
    init?(json: Any?) {
        guard let object = json as? [String: Any], let line = object["line"] as? Int,
              let character = object["character"] as? Int else { return nil }
        self.init(line: line, character: character)
    }
}

/// The file the language server sees: the import header the next cell would get, then the cell.
///
/// Jupyter counts cursor offsets in Unicode scalars of the cell alone, while the protocol counts lines
/// and UTF-16 units of the whole file; this type translates between the two. Line breaks are `\n`,
/// `\r\n` and `\r`, as the protocol defines them.
struct SyntheticDocument: Equatable, Sendable {
    /// The import header, ending with a line break when it is not empty.
    let prelude: String
    /// The cell's code, as the user typed it.
    let code: String
    /// How many lines the prelude occupies before the cell's first line.
    let preludeLineCount: Int

    init(prelude: String, code: String) {
        let header = prelude.isEmpty || prelude.hasSuffix("\n") ? prelude : prelude + "\n"
        self.prelude = header
        self.code = code
        self.preludeLineCount = Self.lineBreakCount(header.unicodeScalars)
    }

    /// The whole file's text. Leading magics (`%%time`, `%timeit`) are not Swift: their names are
    /// blanked out with as many spaces, so every position stays put and the rest of the line (the
    /// statement `%timeit` repeats) still completes.
    var text: String { prelude + Self.blankingMagicNames(code) }

    /// The cell with its leading magics' names blanked out (see `text`).
    static func blankingMagicNames(_ code: String) -> String {
        var result = String.UnicodeScalarView()
        var atLineStart = true
        var inMagicName = false
        var pastMagics = false
        for scalar in code.unicodeScalars {
            if scalar == "\n" || scalar == "\r" {
                atLineStart = true
                inMagicName = false
                result.append(scalar)
                continue
            }
            if !pastMagics && atLineStart && scalar != " " && scalar != "\t" {
                atLineStart = false
                if scalar == "%" { inMagicName = true } else { pastMagics = true }
            }
            if inMagicName && (scalar == "%" || IdentifierScanner.isIdentifierScalar(scalar)) {
                result.append(" ")
            } else {
                inMagicName = false
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// The protocol position of a Unicode-scalar offset into the cell (clamped to the cell).
    func position(ofCodeOffset offset: Int) -> LSPPosition {
        var line = 0
        var character = 0
        var previous: Unicode.Scalar?
        for scalar in code.unicodeScalars.prefix(max(0, offset)) {
            Self.advance(&line, &character, past: scalar, after: previous)
            previous = scalar
        }
        return LSPPosition(line: preludeLineCount + line, character: character)
    }

    /// The Unicode-scalar offset into the cell of a protocol position; nil when it lies in the prelude
    /// or past the cell. A character past the end of its line means the end of that line.
    func codeOffset(of position: LSPPosition) -> Int? {
        let targetLine = position.line - preludeLineCount
        guard targetLine >= 0 else { return nil }
        var line = 0
        var character = 0
        var offset = 0
        var previous: Unicode.Scalar?
        for scalar in code.unicodeScalars {
            if scalar == "\n" && previous == "\r" {
                // The second half of a `\r\n` break, already counted.
                previous = scalar
                offset += 1
                continue
            }
            let isBreak = scalar == "\r" || scalar == "\n"
            if line == targetLine && (isBreak || character >= position.character) { return offset }
            Self.advance(&line, &character, past: scalar, after: previous)
            previous = scalar
            offset += 1
        }
        return line == targetLine ? offset : nil
    }

    /// Moves a (line, character) position past `scalar`. `\r`, `\n` and `\r\n` each end one line (so a
    /// `\n` right after `\r` moves nothing), and characters count UTF-16 code units, as LSP positions do.
    private static func advance(_ line: inout Int, _ character: inout Int, past scalar: Unicode.Scalar,
                                after previous: Unicode.Scalar?) {
        if scalar == "\r" || scalar == "\n" {
            if !(scalar == "\n" && previous == "\r") { line += 1 }
            character = 0
        } else {
            character += scalar.utf16.count
        }
    }

    private static func lineBreakCount(_ scalars: String.UnicodeScalarView) -> Int {
        var count = 0
        var previous: Unicode.Scalar?
        for scalar in scalars {
            if scalar == "\r" || (scalar == "\n" && previous != "\r") { count += 1 }
            previous = scalar
        }
        return count
    }
}
