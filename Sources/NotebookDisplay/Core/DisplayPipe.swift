import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where display records go: the worker's display pipe (one JSON line per record, docs/INTERFACES.md)
/// or, outside the kernel, plain text on stdout.
///
/// Thread-safe: a cell may display from any thread (training runs on the cell's thread, a user may spawn
/// more), and a record longer than the pipe's atomic size must never interleave with another.
public enum DisplayPipe {
    /// The environment variable through which the worker hands over the display pipe's write end.
    public static let environmentVariable = "SWIFT_LSTM_DISPLAY_FD"

    /// Sends records to `fileDescriptor` from now on (the descriptor stays owned by the caller).
    public static func connect(fileDescriptor: Int32) {
        // An explicit choice wins over the environment, which is then never consulted.
        state.withLock { $0.target = .pipe(fileDescriptor); $0.environmentChecked = true }
    }

    /// Goes back to printing text/plain on stdout (the behaviour without a kernel).
    public static func disconnect() {
        state.withLock { $0.target = .stdout; $0.environmentChecked = true }
    }

    /// Connects to the descriptor named by `SWIFT_LSTM_DISPLAY_FD`, if set and valid.
    /// - Returns: whether a pipe is connected afterwards. A malformed value is reported once on stderr
    ///   and display falls back to stdout, so a bad environment never stops a cell.
    @discardableResult
    public static func connectFromEnvironment() -> Bool {
        state.withLock { connectFromEnvironmentLocked(&$0) }
        return isConnected
    }

    /// Whether records go to a display pipe (true inside the kernel's worker).
    public static var isConnected: Bool {
        state.withLock { s in
            if case .pipe = s.target { return true }
            return false
        }
    }

    /// Writes one record: the JSON line to the pipe, or `fallbackText` to stdout when no pipe is connected.
    /// stdout and stderr are flushed first so that prints made before a display appear before it.
    static func send(_ record: NotebookJSON, fallbackText: String?) {
        // Encoding a large SVG takes a while; do it before taking the lock other threads wait on.
        let line = record.encoded + "\n"
        state.withLock { s in
            if !s.environmentChecked { connectFromEnvironmentLocked(&s) }
            fflush(stdout)
            fflush(stderr)
            switch s.target {
            case .stdout:
                if let fallbackText {
                    print(fallbackText)
                    fflush(stdout)
                }
            case .pipe(let fd):
                if let failure = writeAll(fd, line) {
                    // The reader is gone (worker shutting down) or the descriptor is wrong: say so once,
                    // then keep the cell running with text output.
                    fputs("NotebookDisplay: display pipe fd \(fd) failed (\(failure)); showing text instead\n", stderr)
                    s.target = .stdout
                    if let fallbackText { print(fallbackText); fflush(stdout) }
                }
            }
        }
    }

    private enum Target { case stdout, pipe(Int32) }

    private struct State {
        var target: Target = .stdout
        var environmentChecked = false
    }

    private static let state = LockedState(State())

    private static func connectFromEnvironmentLocked(_ s: inout State) {
        s.environmentChecked = true
        guard let raw = ProcessInfo.processInfo.environment[environmentVariable] else { return }
        guard let fd = Int32(raw.trimmingCharacters(in: .whitespaces)), fd >= 0 else {
            fputs("NotebookDisplay: \(environmentVariable) should be a file descriptor number, got \"\(raw)\"; showing text instead\n", stderr)
            return
        }
        guard fcntl(fd, F_GETFD) != -1 else {
            fputs("NotebookDisplay: \(environmentVariable)=\(fd) is not an open file descriptor; showing text instead\n", stderr)
            return
        }
        s.target = .pipe(fd)
    }

    /// Writes every byte, retrying after signals and partial writes (a pipe takes at most its buffer).
    /// - Returns: nil on success, else the error text.
    private static func writeAll(_ fd: Int32, _ text: String) -> String? {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buf in
                write(fd, buf.baseAddress! + offset, buf.count - offset)
            }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return String(cString: strerror(errno))
            }
            offset += n
        }
        return nil
    }
}

/// A value guarded by a mutex; the small piece of shared mutable state this module needs.
final class LockedState<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
