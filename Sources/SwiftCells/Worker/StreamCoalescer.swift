/// Joins a running cell's stdout and stderr pieces into fewer stream messages. The worker's prints are
/// unbuffered, so one `print` reaches the kernel as several reads; a front end would get one iopub
/// message per read. Text is held until it has waited `maxDelay` seconds, then published up to its last
/// line end (a lone partial line goes out whole, so `print("…", terminator: "")` before a sleep still
/// shows). A display record, an input request, a switch between stdout and stderr, and the cell's end
/// publish the held text first, so order is kept.
///
/// Used on the shell thread only (inside `WorkerProcess.run`).
final class StreamCoalescer: CellOutputSink {
    private let sink: CellOutputSink
    private let maxDelay: Double
    private var pending = ""
    private var pendingIsError = false
    /// When the oldest held text arrived (monotonic seconds), nil when nothing is held.
    private var pendingSince: Double?

    init(sink: CellOutputSink, maxDelay: Double = 0.05) {
        self.sink = sink
        self.maxDelay = maxDelay
    }

    /// When held text is due (monotonic seconds), for the caller's poll timeout; nil when nothing is held.
    var deadline: Double? { pendingSince.map { $0 + maxDelay } }

    func cellOutput(_ text: String, isError: Bool) {
        guard !text.isEmpty else { return }
        if !pending.isEmpty && isError != pendingIsError { flush() }
        if pending.isEmpty {
            pendingIsError = isError
            pendingSince = Clock.now()
        }
        pending += text
    }

    func cellDisplayRecord(_ json: String) {
        flush()
        sink.cellDisplayRecord(json)
    }

    func cellNeedsInput(prompt: String) -> String? {
        flush()
        return sink.cellNeedsInput(prompt: prompt)
    }

    /// Publishes the held text that has waited long enough: up to its last line end, or all of it when
    /// it holds no line end. Call on every turn of the read loop.
    func publishDue(now: Double = Clock.now()) {
        guard let deadline, now >= deadline else { return }
        guard let lastNewline = pending.lastIndex(of: "\n"), pending.index(after: lastNewline) != pending.endIndex
        else { return flush() }
        let complete = String(pending[...lastNewline])
        pending = String(pending[pending.index(after: lastNewline)...])
        pendingSince = now
        sink.cellOutput(complete, isError: pendingIsError)
    }

    /// Publishes everything held (before the cell's reply, and before anything that must come after it).
    func flush() {
        guard !pending.isEmpty else { return }
        let text = pending
        pending = ""
        pendingSince = nil
        sink.cellOutput(text, isError: pendingIsError)
    }
}
