import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a widget callback's output goes while it runs, as ipywidgets puts it: into an Output widget
/// (`Output.capture`, which `interact` uses), or to the cell that created the widget (`.comm`: a handler
/// the worker runs while another cell is running, whose stdout would otherwise land in that cell).
///
/// In the kernel's worker a capture points the process's stdout and stderr (descriptors 1 and 2) at
/// temporary files and moves what they receive to its target: so `print`, C code writing to stdout and
/// the runtime's fatal-error report are all caught. Displays are routed without the files. One thread
/// captures at a time (others wait, at most 2 s, then capture displays only; nested captures on one thread
/// stack), since descriptors belong to the process: a running cell's own prints made during a short
/// callback land in the callback's output.
/// A callback that traps never ends its capture: the worker calls `recover(thread:consume:)`.
enum OutputCapture {
    /// Where captured output goes.
    enum Target {
        case output(Output)
        /// Display records tagged with the comm id, which the kernel publishes in the cell that opened it.
        case comm(String)
    }

    /// One capture: its target and, inside the kernel, the descriptors it replaced and its files.
    final class Layer {
        let target: Target
        let thread: UInt
        var saved: [Int32] = []
        var files: [Int32] = []
        var offsets: [off_t] = [0, 0]
        init(target: Target, thread: UInt) { self.target = target; self.thread = thread }
    }

    private static let condition = NSCondition()
    nonisolated(unsafe) private static var owner: UInt?
    /// Innermost last; the layers that redirected descriptors belong to `owner`.
    nonisolated(unsafe) private static var layers: [Layer] = []

    static var currentThread: UInt { UInt(pthread_self()) }

    /// Runs `body` with this thread's output going to `target`.
    static func run<R>(into target: Target, _ body: () throws -> R) rethrows -> R {
        let layer = begin(target)
        defer { end(layer) }
        return try body()
    }

    static func begin(_ target: Target) -> Layer {
        let me = currentThread
        condition.lock()
        // Another thread's capture holds the descriptors: wait for it, but not for ever (a handler that
        // never returns must not hang every later capture); after 2 s this one routes displays only.
        let deadline = Date(timeIntervalSinceNow: 2)
        while let current = owner, current != me, condition.wait(until: deadline) {}
        let redirect = owner == nil || owner == me
        if redirect { owner = me }
        let layer = Layer(target: target, thread: me)
        if DisplayPipe.isConnected, redirect {
            fflush(stdout)
            fflush(stderr)
            for fd: Int32 in [1, 2] {
                var template = Array((NSTemporaryDirectory() + "/swift-lstm-capture-XXXXXX").utf8CString)
                let file = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
                guard file >= 0 else { break }
                template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
                layer.saved.append(dup(fd))
                layer.files.append(file)
                dup2(file, fd)
            }
        }
        layers.append(layer)
        condition.unlock()
        return layer
    }

    /// Ends `layer` (the innermost of its thread): the descriptors are restored and the rest of its text
    /// moved to its target.
    static func end(_ layer: Layer) {
        condition.lock()
        restore(layer)
        condition.unlock()
        drain(layer)
        closeFiles(layer)
        finish(layer)
    }

    private static func restore(_ layer: Layer) {
        fflush(stdout)
        fflush(stderr)
        for (index, saved) in layer.saved.enumerated() where saved >= 0 {
            dup2(saved, Int32(index + 1))
            close(saved)
        }
        layer.saved = []
    }

    private static func closeFiles(_ layer: Layer) {
        for file in layer.files { close(file) }
        layer.files = []
    }

    private static func finish(_ layer: Layer) {
        condition.lock()
        layers.removeAll { $0 === layer }
        if owner == layer.thread, !layers.contains(where: { $0.thread == layer.thread }) { owner = nil }
        condition.broadcast()
        condition.unlock()
    }

    /// The text written to the layer's stdout (index 0) or stderr (1) file since the last read.
    private static func take(_ layer: Layer, _ index: Int) -> String {
        guard index < layer.files.count else { return "" }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(layer.files[index], $0.baseAddress, 65536, layer.offsets[index]) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
            layer.offsets[index] += off_t(n)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Moves the captured text to the layer's target, stdout first.
    static func drain(_ layer: Layer) {
        // Text still in stdio's buffers belongs before what comes next (stdout is buffered outside the worker).
        fflush(stdout)
        fflush(stderr)
        for (index, name) in ["stdout", "stderr"].enumerated() {
            let text = take(layer, index)
            if !text.isEmpty { deliver(stream: name, text: text, to: layer.target) }
        }
    }

    private static func deliver(stream name: String, text: String, to target: Target) {
        switch target {
        case .output(let output):
            output.appendStream(name, text)
        case .comm(let id):
            WidgetRegistry.send(["msg_type": "stream", "comm_id": .string(id), "name": .string(name),
                                 "text": .string(text)])
        }
    }

    /// The innermost capture of this thread, if any.
    static var current: Layer? {
        let me = currentThread
        condition.lock()
        defer { condition.unlock() }
        return layers.last { $0.thread == me }
    }

    /// Shows `bundle` where this thread's output is captured; false when it is not captured.
    static func route(_ bundle: MIMEBundle) -> Bool {
        guard let layer = current else { return false }
        drain(layer)
        switch layer.target {
        case .output(let output):
            output.append(["output_type": "display_data", "data": .object(bundle.data),
                           "metadata": .object(bundle.metadata)])
        case .comm(let id):
            WidgetRegistry.send(["msg_type": "display_data", "comm_id": .string(id), "data": .object(bundle.data),
                                 "metadata": .object(bundle.metadata)])
        }
        return true
    }

    /// Shows an error where the innermost capture of this thread sends its output; false when none.
    static func showError(ename: String, evalue: String, traceback: [String]) -> Bool {
        guard let layer = current else { return false }
        drain(layer)
        show(ename: ename, evalue: evalue, traceback: traceback, in: layer.target)
        return true
    }

    private static func show(ename: String, evalue: String, traceback: [String], in target: Target) {
        let fields: [String: NotebookJSON] = ["ename": .string(ename), "evalue": .string(evalue),
                                              "traceback": .array(traceback.map(NotebookJSON.string))]
        switch target {
        case .output(let output):
            output.append(fields.merging(["output_type": "error"]) { _, new in new })
        case .comm(let id):
            WidgetRegistry.send(fields.merging(["msg_type": "error", "comm_id": .string(id)]) { _, new in new })
        }
    }

    /// After a trap on `thread`, which never ended its captures: restores the descriptors and moves the
    /// captured text on, innermost capture first. With `consume`, the runtime's fatal-error report becomes
    /// an error output where the innermost capture sends its output; without, the report is returned for
    /// the worker to write to its stderr (the cell's trap reports it). `captured` is false when the
    /// thread had no capture open (nothing was done).
    static func recover(thread: UInt, consume: Bool) -> (captured: Bool, report: String) {
        condition.lock()
        let mine = layers.filter { $0.thread == thread }
        for layer in mine.reversed() { restore(layer) }
        condition.unlock()
        guard let innermost = mine.last else { return (false, "") }
        var report = ""
        for layer in mine.reversed() {
            let out = take(layer, 0)
            if !out.isEmpty { deliver(stream: "stdout", text: out, to: layer.target) }
            var err = take(layer, 1)
            if layer === innermost {
                let lines = err.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                let fatal = lines.firstIndex { $0.contains("Fatal error") || $0.contains("Precondition failed")
                    || $0.contains("Assertion failed") }
                if let fatal {
                    report = lines[fatal...].joined(separator: "\n")
                    err = lines[..<fatal].map { $0 + "\n" }.joined()
                }
            }
            if !err.isEmpty { deliver(stream: "stderr", text: err, to: layer.target) }
            closeFiles(layer)
        }
        if consume {
            let first = report.split(separator: "\n").first.map(String.init) ?? "the callback trapped"
            let message = first.range(of: "Fatal error: ").map { String(first[$0.upperBound...]) }
                ?? first.range(of: "Fatal error").map { String(first[$0.lowerBound...]) } ?? first
            show(ename: "FatalError", evalue: message,
                 traceback: [first, "(in a widget callback; the session's state is kept)"], in: innermost.target)
            report = ""
        }
        for layer in mine { finish(layer) }
        return (true, report)
    }
}

/// The worker's entry point after a trap on `thread` (a cell's or a widget handler's): see
/// `OutputCapture.recover`. Returns nil when the thread captured nothing, else a `malloc`ed string: `C` when
/// the error was shown in the capture's target, or `T` followed by the runtime's report for stderr.
@_cdecl("notebook_display_recover")
public func notebook_display_recover(_ thread: UInt, _ consume: Int32) -> UnsafeMutablePointer<CChar>? {
    let outcome = OutputCapture.recover(thread: thread, consume: consume != 0)
    guard outcome.captured else { return nil }
    return strdup(consume != 0 ? "C" : "T" + outcome.report)
}

/// The worker's entry point for a frontend comm message that arrived while a cell runs: the handler runs
/// with its output (and a thrown error) going to the cell that created the widget, not the running cell.
@_cdecl("notebook_display_comm_live")
public func notebook_display_comm_live(_ id: UnsafePointer<CChar>, _ json: UnsafePointer<CChar>,
                                       _ kind: UnsafePointer<CChar>) {
    let commID = String(cString: id)
    OutputCapture.run(into: .comm(commID)) {
        guard let failure = WidgetRegistry.receive(id: commID, json: String(cString: json), kind: String(cString: kind))
        else { return }
        var typeName = failure.typeName
        if typeName.hasPrefix("Cell"), let dot = typeName.firstIndex(of: ".") {
            typeName = String(typeName[typeName.index(after: dot)...])
        }
        _ = OutputCapture.showError(ename: typeName, evalue: failure.description,
                                    traceback: ["\(typeName): \(failure.description)", "(thrown by a widget handler; the widget keeps its state)"])
    }
}
