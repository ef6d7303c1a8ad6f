/// Separates the Swift runtime's fatal-error report from a cell's own stderr output.
///
/// When a cell traps, the runtime prints `file:line: Fatal error: message` (or `Fatal error: message`),
/// then `Current stack trace:` and numbered frames, on stderr. That text belongs in the cell's single
/// `error` output, not in a stderr stream, so this filter holds such lines back; anything else passes
/// through at once (in order). If no trap follows, the held lines are released as ordinary output.
public struct RuntimeMessageFilter: Sendable {
    private var partial = ""
    private var held: [String] = []

    public init() {}

    /// Feeds stderr text; returns the text to publish now.
    public mutating func feed(_ text: String) -> String {
        partial += text
        var out = ""
        while let newline = partial.firstIndex(of: "\n") {
            let line = String(partial[..<newline])
            partial = String(partial[partial.index(after: newline)...])
            if Self.isFatalLine(line) || (!held.isEmpty && Self.isTraceLine(line)) {
                held.append(line)
            } else {
                out += releaseHeld() + line + "\n"
            }
        }
        return out
    }

    /// Text without a newline yet, published when output goes quiet (a prompt, a progress bar).
    public mutating func flushPartial() -> String {
        guard !partial.isEmpty, !partial.contains("Fatal error") else { return "" }
        defer { partial = "" }
        return releaseHeld() + partial
    }

    /// Ends the cell normally: everything held is ordinary output after all.
    public mutating func finish() -> String {
        let rest = releaseHeld() + partial
        partial = ""
        return rest
    }

    /// Ends the cell with a trap: returns the runtime's report lines (not published).
    public mutating func takeRuntimeReport() -> [String] {
        if !partial.isEmpty {
            held.append(partial)
            partial = ""
        }
        defer { held = [] }
        return held
    }

    private mutating func releaseHeld() -> String {
        defer { held = [] }
        return held.map { $0 + "\n" }.joined()
    }

    static func isFatalLine(_ line: String) -> Bool {
        line.hasPrefix("Fatal error") || line.contains(": Fatal error") || line.hasPrefix("Precondition failed")
            || line.contains(": Precondition failed") || line.contains(": Assertion failed")
    }

    static func isTraceLine(_ line: String) -> Bool {
        if line == "Current stack trace:" { return true }
        let trimmed = line.drop { $0 == " " }
        return trimmed.first?.isNumber == true && line.contains(" 0x")
    }

    /// Parses the report's first line: the message (from `Fatal error` on) and the cell location when it
    /// is a `<cell N>` source location.
    public static func parse(_ report: [String]) -> (message: String, location: CellLocation?)? {
        guard let first = report.first(where: isFatalLine) else { return nil }
        for marker in ["Fatal error", "Precondition failed", "Assertion failed"] {
            guard let range = first.firstRange(of: marker) else { continue }
            let message = String(first[range.lowerBound...])
            let location = first[..<range.lowerBound]
            return (message, cellLocation(in: location))
        }
        return nil
    }
}

/// A line in a cell: the cell module (`Cell<module>`) and the line in the user's code.
public struct CellLocation: Equatable, Sendable {
    public var module: Int
    public var line: Int
    public init(module: Int, line: Int) {
        self.module = module
        self.line = line
    }
}

/// The cell and line of a `…<cell N>:LINE…` location (runtime messages say `Cell3/<cell 3>:2`, the
/// symbolizer `/<cell 3>:2:5`), or nil when the location is not in a cell.
func cellLocation<S: StringProtocol>(in location: S) -> CellLocation? {
    guard let start = location.firstRange(of: "<cell ") else { return nil }
    let rest = location[start.upperBound...]
    guard let close = rest.firstIndex(of: ">"), let module = Int(rest[..<close]) else { return nil }
    let digits = rest[rest.index(after: close)...].drop { $0 == ":" }.prefix { $0.isNumber }
    guard let line = Int(digits), line > 0 else { return nil }
    return CellLocation(module: module, line: line)
}
