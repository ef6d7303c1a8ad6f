extension CompileDiagnostics {
    /// Diagnostics as the user wrote the cell: the generated code passes the last expression to the
    /// result function, so swiftc quotes that line and counts columns with the wrapper in it. This puts
    /// the user's own line back under each diagnostic of the cell and moves its column and caret.
    func showingUserCode(_ code: String, analysis: CellAnalysis, wrapperLength: Int) -> CompileDiagnostics {
        let codeLines = code.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var wrapLine = 0, wrapColumn = 0
        if let last = analysis.lastExpression, wrapperLength > 0 {
            let before = Array(code.utf8)[..<last.utf8Range.lowerBound]
            wrapLine = before.filter { $0 == UInt8(ascii: "\n") }.count + 1
            wrapColumn = before.count - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
        }
        var result = self
        result.diagnostics = diagnostics.map { d in
            guard d.file == cellLabel, d.line >= 1, d.line <= codeLines.count else { return d }
            var d = d
            if d.line == wrapLine && d.column > wrapColumn {
                d.column = max(wrapColumn, d.column - wrapperLength)
            }
            let text = codeLines[d.line - 1]
            // Columns count UTF-8 bytes; the caret is placed under the character starting there.
            let characters = String(decoding: Array(text.utf8).prefix(max(0, d.column - 1)), as: UTF8.self).count
            d.excerpt = [text, String(repeating: " ", count: characters) + "^"]
            return d
        }
        return result
    }
}
