/// The line magics that may stand on any line of a cell: `%install`, `%install-swiftpm-flags`,
/// `%include` and `!command`. They are taken out of the cell (their lines left blank, so the Swift
/// code's line numbers stay those of the cell) and run before the cell's Swift code: first all installs
/// of the cell as one build, then `%include` and `!` lines in their order.
struct CellDirectives: Equatable {
    /// One `%include` or `!` line.
    enum Step: Equatable {
        case include(String)
        case shell(String)
    }

    /// The argument of each `%install` line and the column where it starts (1-based).
    var installs: [(argument: String, column: Int)] = []
    /// `%install-swiftpm-flags` of the cell (flags of this cell's install set).
    var flags: [String] = []
    var steps: [Step] = []
    /// The cell with the directive lines blanked.
    var code: String

    static func == (a: CellDirectives, b: CellDirectives) -> Bool {
        a.installs.map(\.argument) == b.installs.map(\.argument) && a.installs.map(\.column) == b.installs.map(\.column)
            && a.flags == b.flags && a.steps == b.steps && a.code == b.code
    }

    var isEmpty: Bool { installs.isEmpty && flags.isEmpty && steps.isEmpty }

    /// Splits a cell into its directives and its Swift code.
    static func split(_ cell: String) -> CellDirectives {
        var result = CellDirectives(code: cell)
        var lines = cell.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (index, line) in lines.enumerated() {
            let indent = line.prefix { $0 == " " || $0 == "\t" }.count
            let text = String(line.dropFirst(indent))
            let (name, argument) = Self.nameAndArgument(text)
            switch name {
            case "%install":
                result.installs.append((argument, indent + name.count + 1 + Self.leadingSpaces(text.dropFirst(name.count))))
            case "%install-swiftpm-flags":
                result.flags += argument.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            case "%include":
                result.steps.append(.include(argument.trimmingCharacters()))
            default:
                guard text.hasPrefix("!") else { continue }
                result.steps.append(.shell(String(text.dropFirst())))
            }
            lines[index] = ""
        }
        if !result.isEmpty { result.code = lines.joined(separator: "\n") }
        return result
    }

    private static func nameAndArgument(_ text: String) -> (String, String) {
        guard text.hasPrefix("%") && !text.hasPrefix("%%") else { return ("", "") }
        let name = String(text.prefix { !$0.isWhitespace })
        let rest = String(text.dropFirst(name.count))
        return (name, String(rest.drop { $0 == " " || $0 == "\t" }))
    }

    private static func leadingSpaces(_ text: Substring) -> Int {
        text.prefix { $0 == " " || $0 == "\t" }.count
    }
}

extension String {
    func trimmingCharacters() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
