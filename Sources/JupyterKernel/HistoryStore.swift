import Foundation
import JupyterProtocol

/// One stored input: `session` is the kernel run (1, 2, …), `line` its execution count.
public struct HistoryEntry: Equatable, Sendable {
    /// The kernel run, numbered from 1.
    public var session: Int
    /// The execution count within that run.
    public var line: Int
    /// The cell's source.
    public var input: String
    /// The `text/plain` of the execute_result, when there was one.
    public var output: String?

    /// One entry as stored.
    public init(session: Int, line: Int, input: String, output: String? = nil) {
        self.session = session
        self.line = line
        self.input = input
        self.output = output
    }

    /// The `history_reply` form: `[session, line, input]` or `[session, line, [input, output]]`.
    public func json(output withOutput: Bool) -> JSONValue {
        let source: JSONValue = withOutput ? [.string(input), output.map(JSONValue.string) ?? .null] : .string(input)
        return [.number(Double(session)), .number(Double(line)), source]
    }
}

/// Execution history kept across kernel restarts, as ipykernel keeps it: every run of the kernel is a new
/// session and each stored input is appended to a JSON-lines file. Called on the shell thread; locked anyway.
public final class HistoryStore: @unchecked Sendable {
    private let fileURL: URL?
    private let lock = NSLock()
    private var entries: [HistoryEntry] = []
    /// This kernel run's session number: one more than the newest in the file.
    public let session: Int

    /// Loads `fileURL` (created on first write); nil keeps history in memory only.
    public init(fileURL: URL?) {
        self.fileURL = fileURL
        if let fileURL, let data = try? Data(contentsOf: fileURL) {
            for line in data.split(separator: UInt8(ascii: "\n")) {
                // A damaged line (e.g. a crash mid-write) is skipped rather than losing the whole file.
                guard let json = try? JSONValue.decode(Data(line)), let session = json["session"]?.intValue,
                      let number = json["line"]?.intValue, let input = json["input"]?.stringValue else { continue }
                entries.append(HistoryEntry(session: session, line: number, input: input,
                                            output: json["output"]?.stringValue))
            }
        }
        session = (entries.map(\.session).max() ?? 0) + 1
    }

    /// `<Jupyter data dir>/swift-lstm-kernel/history.jsonl` (see `JupyterPaths.dataDirectory`), beside
    /// where ipykernel's history lives in spirit: per user, shared by all kernel runs.
    public static func defaultFileURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        JupyterPaths.dataDirectory(environment: environment).appendingPathComponent("swift-lstm-kernel/history.jsonl")
    }

    /// Stores one input of the current session and appends it to the file.
    public func record(line: Int, input: String, output: String?) {
        let entry = HistoryEntry(session: session, line: line, input: input, output: output)
        lock.lock()
        entries.append(entry)
        lock.unlock()
        guard let fileURL else { return }
        var object: [String: JSONValue] = ["session": .number(Double(session)), "line": .number(Double(line)),
                                           "input": .string(input)]
        if let output { object["output"] = .string(output) }
        do {
            var bytes = try JSONValue.object(object).encoded()
            bytes.append(UInt8(ascii: "\n"))
            try FileManager.default.createDirectory(at: fileURL.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: fileURL.path) {
                _ = FileManager.default.createFile(atPath: fileURL.path, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: fileURL)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: bytes)
        } catch {
            KernelLog.write("could not append to history file \(fileURL.path): \(error)")
        }
    }

    private var snapshot: [HistoryEntry] {
        lock.lock()
        defer { lock.unlock() }
        return entries
    }

    /// The last `n` entries over all sessions, oldest first.
    public func tail(_ n: Int) -> [HistoryEntry] {
        Array(snapshot.suffix(max(0, n)))
    }

    /// Lines `start..<stop` (stop nil: to the end) of one session; a session ≤ 0 counts back from the
    /// current one (0 is the current session), as IPython's `get_range` does.
    public func range(session requested: Int, start: Int, stop: Int?) -> [HistoryEntry] {
        let target = requested <= 0 ? session + requested : requested
        return snapshot.filter { entry in
            entry.session == target && entry.line >= start && (stop.map { entry.line < $0 } ?? true)
        }
    }

    /// Entries whose input matches the glob `pattern` (`*`, `?`, `[…]`, case-sensitive, like IPython's
    /// SQLite GLOB); the last `n` when given; with `unique`, only the newest of equal inputs.
    public func search(pattern: String, n: Int?, unique: Bool) -> [HistoryEntry] {
        var matches = snapshot.filter { fnmatch(pattern, $0.input, 0) == 0 }
        if unique {
            var seen = Set<String>()
            matches = matches.reversed().filter { seen.insert($0.input).inserted }.reversed()
        }
        if let n { matches = Array(matches.suffix(max(0, n))) }
        return matches
    }
}
