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

    /// Parses one line of the history file; nil for anything but an object with a positive whole
    /// `session` and `line` and a string `input` (a damaged or hostile line is skipped, never a trap).
    public init?(jsonLine: Data) {
        guard let json = try? JSONValue.decode(jsonLine), let session = json["session"]?.intValue, session > 0,
              let line = json["line"]?.intValue, line >= 0, let input = json["input"]?.stringValue else { return nil }
        let output = json["output"]
        guard output == nil || output == .null || output?.stringValue != nil else { return nil }
        self.init(session: session, line: line, input: input, output: output?.stringValue)
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

    /// How much of the end of the file a kernel reads at start: start-up time must not grow with the
    /// history, so older entries stay on disk but are not offered (about 4 MiB is tens of thousands of cells).
    public static let startupReadLimit = 4 << 20
    /// Inputs longer than this many UTF-8 bytes are stored cut to this length (and logged): a 50 MB cell
    /// must not be written into every later start's read.
    public static let largestStoredInput = 100 << 10

    /// Loads the end of `fileURL` (created on first write); nil keeps history in memory only.
    public init(fileURL: URL?) {
        self.fileURL = fileURL
        var skipped = 0
        var limit = Self.startupReadLimit
        // Normally one read; only when the window holds no whole entry (its end is one huge line written
        // before inputs were capped) is it widened, so the session number still follows the newest one.
        while let fileURL, let (data, wholeFile) = Self.readTail(of: fileURL, limit: limit) {
            skipped = 0
            for line in data.split(separator: UInt8(ascii: "\n")) {
                // A damaged line (a crash mid-write, a hand edit) is skipped rather than losing the whole file.
                if let entry = HistoryEntry(jsonLine: Data(line)) { entries.append(entry) } else { skipped += 1 }
            }
            if !entries.isEmpty || wholeFile || limit >= 64 * Self.startupReadLimit { break }
            limit *= 4
        }
        if skipped > 0, let fileURL { KernelLog.write("history: skipped \(skipped) unreadable line(s) in \(fileURL.path)") }
        let newest = entries.map(\.session).max() ?? 0
        session = newest < Int.max ? newest + 1 : newest
    }

    /// The last `limit` bytes of the file, from the first line that starts inside them, and whether that
    /// is the whole file; nil when unreadable.
    static func readTail(of fileURL: URL, limit: Int) -> (Data, wholeFile: Bool)? {
        guard let handle = try? FileHandle(forReadingFrom: fileURL) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return nil }
        let start = size > UInt64(limit) ? size - UInt64(limit) : 0
        do {
            try handle.seek(toOffset: start)
            guard var data = try handle.readToEnd() else { return (Data(), start == 0) }
            if start > 0 {
                // The first line is cut (unless the cut fell just after a newline): drop it.
                var previous = Data()
                try handle.seek(toOffset: start - 1)
                previous = try handle.read(upToCount: 1) ?? Data()
                if previous != Data([UInt8(ascii: "\n")]) {
                    guard let newline = data.firstIndex(of: UInt8(ascii: "\n")) else { return (Data(), false) }
                    data = data[(newline + 1)...]
                }
            }
            return (Data(data), start == 0)
        } catch {
            return nil
        }
    }

    /// `<Jupyter data dir>/swift-lstm-kernel/history.jsonl` (see `JupyterPaths.dataDirectory`), beside
    /// where ipykernel's history lives in spirit: per user, shared by all kernel runs.
    public static func defaultFileURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        JupyterPaths.dataDirectory(environment: environment).appendingPathComponent("swift-lstm-kernel/history.jsonl")
    }

    /// Stores one input of the current session and appends it to the file (created 0600 in a 0700
    /// folder: cells hold string literals other users must not read).
    public func record(line: Int, input: String, output: String?) {
        let stored = Self.capped(input, what: "input of line \(line)")
        let storedOutput = output.map { Self.capped($0, what: "output of line \(line)") }
        let entry = HistoryEntry(session: session, line: line, input: stored, output: storedOutput)
        lock.lock()
        entries.append(entry)
        lock.unlock()
        guard let fileURL else { return }
        var object: [String: JSONValue] = ["session": .number(Double(session)), "line": .number(Double(line)),
                                           "input": .string(stored)]
        if let storedOutput { object["output"] = .string(storedOutput) }
        do {
            var bytes = try JSONValue.object(object).encoded()
            bytes.append(UInt8(ascii: "\n"))
            try PrivateFiles.append(bytes, to: fileURL)
        } catch {
            KernelLog.write("could not append to history file \(fileURL.path): \(error)")
        }
    }

    /// `text` cut to `largestStoredInput` UTF-8 bytes (at a character boundary), logging when it was cut.
    static func capped(_ text: String, what: String) -> String {
        let count = text.utf8.count
        guard count > largestStoredInput else { return text }
        let utf8 = text.utf8
        var end = utf8.index(utf8.startIndex, offsetBy: largestStoredInput)
        // Step back over UTF-8 continuation bytes (10xxxxxx) so no scalar is cut in half.
        while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 { end = utf8.index(before: end) }
        KernelLog.write("history: the \(what) is \(count) bytes; stored the first \(utf8.distance(from: utf8.startIndex, to: end))")
        return String(decoding: utf8[..<end], as: UTF8.self)
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
