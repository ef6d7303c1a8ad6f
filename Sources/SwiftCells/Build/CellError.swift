import Foundation

/// Everything that can go wrong with a cell, as a closed enum: callers branch on it, and the Jupyter
/// side turns each case into exactly one `error` output.
public enum CellError: Error, Equatable, Sendable {
    /// swiftc rejected the cell; the diagnostics point into `<cell N>`.
    case compile(CompileDiagnostics)
    /// Linking the cell's shared library failed (the linker's output).
    case link(String)
    /// The toolchain or a library the cells need is missing (what was looked for and where).
    case setup(String)
    /// The worker could not load the cell's library (dlerror text).
    case load(String)
    /// The cell threw at top level: the error's dynamic type name and its description.
    case threw(typeName: String, description: String)
    /// The cell trapped (fatalError, index out of range, …): the runtime's message, where (the innermost
    /// cell line: in this cell or in a function an earlier cell declared) when known, and whether the
    /// worker survived (false: the worker was restarted and state was lost).
    case trapped(message: String, location: CellLocation?, workerSurvived: Bool)
    /// The worker process died while running the cell (signal or exit), and was replaced.
    case workerDied(reason: String)
    /// The cell was interrupted; `workerRestarted` when it did not stop within the grace period, else
    /// `detail` is what the stopped code said (e.g. LSTMKit's "fit (epoch 2/5, batch 3/8) was interrupted").
    case interrupted(workerRestarted: Bool, detail: String)
    /// The cell uses a Swift feature cells cannot run (what, and what to do instead).
    case unsupported(String)
    /// A problem with the cell's magic lines (unknown magic, bad arguments).
    case magic(String)
    /// `%install` failed (a spec that does not parse, an unknown package, version or product, a build
    /// error): what failed, and the build's full log when there was one. Nothing was changed.
    case install(String, log: String = "")
    /// A `!command` line failed: the command and its exit status.
    case shell(String)
}

/// The compiler's diagnostics for a failed cell.
public struct CompileDiagnostics: Equatable, Sendable {
    /// One diagnostic: its location (`line` is cell-relative when `file` is `<cell N>`), severity, message
    /// and the source and caret lines swiftc printed under it.
    public struct Diagnostic: Equatable, Sendable {
        public var file: String
        public var line: Int
        public var column: Int
        public var severity: String
        public var message: String
        public var excerpt: [String]
    }

    public var diagnostics: [Diagnostic]
    /// The file name the cell's own lines carry, e.g. `<cell 3>` (diagnostics may also name earlier cells).
    public var cellLabel: String = ""
    /// swiftc's complete output, for when it could not be parsed into diagnostics.
    public var rawOutput: String

    /// The error diagnostics (notes and warnings are shown with them in `rendered`).
    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == "error" } }

    /// Human-readable lines: every error and note with its location and caret lines, warnings left out.
    public var rendered: [String] {
        let shown = diagnostics.filter { $0.severity != "warning" }
        if shown.isEmpty {
            return rawOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        return shown.flatMap { d in
            ["\(d.file):\(d.line):\(d.column): \(d.severity): \(d.message)"] + d.excerpt
        }
    }

    /// Parses swiftc output in `-diagnostic-style llvm` form: `file:line:col: severity: message`, then the
    /// source line and the caret line(s).
    public static func parse(_ output: String) -> CompileDiagnostics {
        var diagnostics: [Diagnostic] = []
        for rawLine in output.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            if let d = parseHeader(line) {
                diagnostics.append(d)
            } else if !diagnostics.isEmpty, !line.isEmpty, !line.hasPrefix("error: "),
                      !line.hasPrefix("<unknown>:") {
                diagnostics[diagnostics.count - 1].excerpt.append(line)
            }
        }
        return CompileDiagnostics(diagnostics: diagnostics, rawOutput: output)
    }

    private static func parseHeader(_ line: String) -> Diagnostic? {
        for severity in ["error", "warning", "note", "remark"] {
            guard let marker = line.range(of: ": \(severity): ") else { continue }
            let location = line[..<marker.lowerBound].split(separator: ":", omittingEmptySubsequences: false)
            guard location.count >= 3, let row = Int(location[location.count - 2]),
                  let col = Int(location[location.count - 1]) else { continue }
            let file = location[0..<(location.count - 2)].joined(separator: ":")
            return Diagnostic(file: file, line: row, column: col, severity: severity,
                              message: String(line[marker.upperBound...]), excerpt: [])
        }
        return nil
    }
}
