#if canImport(Glibc)
import Glibc
#endif

/// Reads a worker's stdout and stderr while no cell runs, on a thread of its own, and passes the text on
/// at once: a thread a cell started may print after the cell ended, and ipykernel publishes such output
/// right away under the cell that was running, not with the next cell. `stop` ends the thread and hands
/// the readers (with any partial text they hold) back to `WorkerProcess.run`.
final class BetweenCellsWatcher: @unchecked Sendable {
    struct State {
        var stdout: ChunkReader
        var stderr: ChunkReader
        var splitter: DisplayRecordSplitter
    }

    private var state: State
    private let sink: CellOutputSink
    private var lock = pthread_mutex_t()
    private var stopping = false
    private var thread = pthread_t()
    private var started = false

    init(stdout: ChunkReader, stderr: ChunkReader, splitter: DisplayRecordSplitter, sink: CellOutputSink) {
        state = State(stdout: stdout, stderr: stderr, splitter: splitter)
        self.sink = sink
        pthread_mutex_init(&lock, nil)
        let box = Unmanaged.passRetained(self).toOpaque()
        started = pthread_create(&thread, nil, { raw in
            let watcher = Unmanaged<BetweenCellsWatcher>.fromOpaque(raw!).takeRetainedValue()
            watcher.watch()
            return nil
        }, box) == 0
        if !started { Unmanaged<BetweenCellsWatcher>.fromOpaque(box).release() }
    }

    /// Ends the watching thread (publishing what it holds) and returns the readers.
    func stop() -> State {
        pthread_mutex_lock(&lock)
        stopping = true
        pthread_mutex_unlock(&lock)
        if started { pthread_join(thread, nil) }
        return state
    }

    private var shouldStop: Bool {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return stopping
    }

    private func watch() {
        let coalescer = StreamCoalescer(sink: sink)
        var filter = RuntimeMessageFilter()
        var lastInput = Clock.now()
        while !shouldStop {
            var fds = [state.stdout, state.stderr].filter { !$0.closed }.map {
                pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0)
            }
            // The worker exited and nothing else holds its pipes: nothing more can come.
            if fds.isEmpty {
                usleep(50_000)
                continue
            }
            let timeout = coalescer.deadline.map { max(1, min(50, Int32((($0 - Clock.now()) * 1000).rounded(.up)))) } ?? 50
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready > 0 {
                // As in `run`: a print's text and its newline arrive as two writes.
                usleep(1000)
                lastInput = Clock.now()
            }
            drain(coalescer, filter: &filter)
            if ready == 0 && Clock.now() - lastInput >= 0.1 {
                let partial = filter.flushPartial()
                if !partial.isEmpty { coalescer.cellOutput(partial, isError: true) }
                WorkerProcess.publish(state.splitter.flush(), to: coalescer)
            }
            coalescer.publishDue()
        }
        drain(coalescer, filter: &filter)
        let rest = filter.finish()
        if !rest.isEmpty { coalescer.cellOutput(rest, isError: true) }
        coalescer.flush()
    }

    private func drain(_ sink: CellOutputSink, filter: inout RuntimeMessageFilter) {
        let out = state.stdout.readAvailableText()
        if !out.isEmpty { WorkerProcess.publish(state.splitter.feed(out), to: sink) }
        let err = state.stderr.readAvailableText()
        if !err.isEmpty {
            let shown = filter.feed(err)
            if !shown.isEmpty { sink.cellOutput(shown, isError: true) }
        }
    }
}
