/// Renders a `ModelSummary` as the exact text Keras 3 prints (through `rich`).
///
/// Keras sizes the table from the terminal width, `min(88, columns − 4)` for a chain of layers and
/// `min(108, columns − 4)` with the "Connected to" column; without a terminal (Jupyter, CI) columns is 80,
/// so the default `lineLength` is 76. Column widths follow Keras's positions and rich's reduction of the
/// padded widths to fit the borders; cells wrap at spaces, and a word longer than its cell is cut with "…".
extension ModelSummary {
    /// The summary text, ending with a newline, exactly as Keras 3 prints it at `lineLength`.
    ///
    /// Keras's console also cuts every line at the terminal width (`consoleWidth`, 80 without a terminal),
    /// so a `lineLength` above it prints a cropped table; that is reproduced too.
    /// `lineLength` below 40 is raised to 40 (Keras refuses widths that leave a column under 4 characters).
    public func text(lineLength: Int = 76, consoleWidth: Int = 80) -> String {
        // Wider than the console is cropped anyway; the cap keeps the column arithmetic in range.
        let lineLength = Swift.min(Swift.max(lineLength, 40), 1 << 20), consoleWidth = Swift.max(consoleWidth, 1)
        let positions = showsConnections ? [0.3, 0.56, 0.74, 1.0] : [0.45, 0.80, 1.0]
        let widths = SummaryLayout.contentWidths(lineLength: lineLength, positions: positions)
        let rightAligned = [false, false, true, false]
        var lines = ["Model: \"\(modelName)\""]
        lines.append(SummaryLayout.rule("┏", "━", "┳", "┓", widths))
        lines += SummaryLayout.cells(headers, widths: widths, right: rightAligned, vertical: "┃")
        lines.append(SummaryLayout.rule("┡", "━", "╇", "┩", widths))
        for (i, row) in rows.enumerated() {
            var cells = [row.layerCell, row.outputShape, row.paramsCell]
            if showsConnections { cells.append(row.connectedTo.isEmpty ? "-" : row.connectedTo.joined(separator: ", ")) }
            lines += SummaryLayout.cells(cells, widths: widths, right: rightAligned, vertical: "│")
            lines.append(i == rows.count - 1 ? SummaryLayout.rule("└", "─", "┴", "┘", widths)
                                             : SummaryLayout.rule("├", "─", "┼", "┤", widths))
        }
        if rows.isEmpty { lines.append(SummaryLayout.rule("└", "─", "┴", "┘", widths)) }
        for (label, value) in totals { lines.append(" \(label): \(value)") }
        return lines.map { $0.count > consoleWidth ? String($0.prefix(consoleWidth)) : $0 }.joined(separator: "\n") + "\n"
    }

    /// The summary text at Keras's default width (76 columns).
    public var text: String { text() }
}

/// Table geometry and cell wrapping that reproduce rich's output for Keras's summary table.
enum SummaryLayout {
    /// Content widths (without the one-space padding on each side) of each column.
    static func contentWidths(lineLength: Int, positions: [Double]) -> [Int] {
        var requested: [Int] = []
        var current = 0
        for p in positions {
            let w = Int(p * Double(lineLength)) - current
            requested.append(w)
            current += w
        }
        // rich measures each fixed-width column as width + 2 (padding) and must fit them, with the
        // n + 1 border characters, into lineLength: it takes the excess off the columns in turn
        // (ratio_reduce with equal ratios and Python's round-half-to-even).
        var padded = requested.map { $0 + 2 }
        let available = lineLength - (positions.count + 1)
        var excess = padded.reduce(0, +) - available
        if excess > 0 {
            var remainingRatio = padded.count
            for i in padded.indices {
                let share = min(padded[i], Int((Double(excess) / Double(remainingRatio)).rounded(.toNearestOrEven)))
                padded[i] -= share
                excess -= share
                remainingRatio -= 1
            }
        }
        return padded.map { Swift.max($0 - 2, 1) }
    }

    /// A horizontal rule: left corner, fill, junction, right corner.
    static func rule(_ left: String, _ fill: String, _ junction: String, _ right: String, _ widths: [Int]) -> String {
        left + widths.map { String(repeating: fill, count: $0 + 2) }.joined(separator: junction) + right
    }

    /// One table row, possibly several text lines tall (cells wrap independently).
    static func cells(_ values: [String], widths: [Int], right: [Bool], vertical: String) -> [String] {
        let wrapped = zip(values, widths).map { wrap($0, width: $1) }
        let height = wrapped.map(\.count).max() ?? 1
        return (0..<height).map { line in
            let parts = wrapped.indices.map { c -> String in
                let text = line < wrapped[c].count ? wrapped[c][line] : ""
                let pad = String(repeating: " ", count: Swift.max(widths[c] - text.count, 0))
                return " " + (right[c] ? pad + text : text + pad) + " "
            }
            return vertical + parts.joined(separator: vertical) + vertical
        }
    }

    /// Greedy word wrap as rich does it: words keep their trailing spaces, a word that does not fit
    /// starts a new line, and a word longer than the width stays alone and is cut to width − 1 plus "…".
    static func wrap(_ text: String, width: Int) -> [String] {
        var words: [String] = []
        var current = ""
        for ch in text {
            if ch != " " && current.last == " " { words.append(current); current = "" }
            current.append(ch)
        }
        if !current.isEmpty || words.isEmpty { words.append(current) }
        var lines: [String] = []
        var line = ""
        for word in words {
            let trimmed = word.trimmingTrailingSpaces
            if line.count + trimmed.count <= width || line.isEmpty {
                line += word
            } else {
                lines.append(line)
                line = word
            }
        }
        lines.append(line)
        return lines.map { l in
            let t = l.trimmingTrailingSpaces
            return t.count > width ? String(t.prefix(width - 1)) + "…" : t
        }
    }
}

private extension String {
    var trimmingTrailingSpaces: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
