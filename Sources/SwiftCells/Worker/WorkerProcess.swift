import CellHost

#if canImport(Glibc)
import Glibc
#endif

/// Receives what a running cell produces, on the thread that called `WorkerProcess.run`.
public protocol CellOutputSink: AnyObject {
    /// Text the cell wrote to stdout (`isError` false) or stderr (true).
    func cellOutput(_ text: String, isError: Bool)
    /// One display-pipe record: a line of compact JSON (see docs/INTERFACES.md).
    func cellDisplayRecord(_ json: String)
    /// The cell called `readLine()` and stdin is allowed: the line typed, or nil.
    func cellNeedsInput(prompt: String) -> String?
    /// Frontend comm messages that arrived while the cell runs (comm id, JSON data, `msg` or `close`),
    /// handed to the worker at once; polled about every 100 ms.
    func cellPendingComms() -> [(id: String, json: String, kind: String)]
}

extension CellOutputSink {
    /// Sinks that do not route comms have none.
    public func cellPendingComms() -> [(id: String, json: String, kind: String)] { [] }
}

/// How a run on the worker ended.
public enum WorkerRunResult: Equatable, Sendable {
    /// The cell ran to its end; seconds spent loading its library and running it (worker clock).
    case finished(load: Double, run: Double)
    case threw(typeName: String, description: String)
    /// A trap the worker survived; `report` holds the runtime's message lines, `library`/`offset` the
    /// innermost cell frame.
    case trapped(signal: Int32, report: [String], library: String, offset: Int)
    case loadFailed(String)
    /// The worker process ended (`reason` says how); `report` holds runtime lines it printed.
    case died(reason: String, report: [String])
    /// The cell did not stop within the grace period after an interrupt and the worker was killed.
    case killedAfterInterrupt
    /// An interrupt found the cell running its own code and ended only the cell's thread.
    case stoppedByInterrupt
}

/// The kernel's handle on one worker process: spawns `swift-lstm-kernel worker` with its pipes, runs
/// cells on it and streams their output while they run.
///
/// `run` is called from one thread at a time (the shell thread); `interrupt` from any thread.
public final class WorkerProcess: @unchecked Sendable {
    public let pid: pid_t
    /// Whether the worker loaded libLSTMKit.so.
    public private(set) var libraryLoaded = false
    private let commandFD: Int32
    private var eventReader: LineReader
    private var stdoutReader: ChunkReader
    private var stderrReader: ChunkReader
    private var splitter = DisplayRecordSplitter()
    private var lock = pthread_mutex_t()
    private var interruptRequestedAt: Double?
    private var running = false
    private var exited = false
    /// Seconds a cell gets to stop after an interrupt before its worker is killed.
    public var interruptGracePeriod = 2.0
    /// Seconds between `stop` commands within the grace period (the first one this long after the
    /// interrupt): the worker ends the cell's thread only when the signal finds it in the cell's own code,
    /// and a loop that calls into the Swift runtime is there only part of the time.
    var interruptRepeatInterval = 0.15
    /// Reads output between cells (`watchBetweenCells`); nil while a cell runs or nobody watches.
    private var watcher: BetweenCellsWatcher?

    /// Once per kernel process: a write to a dead worker's pipe must fail with EPIPE, not kill the
    /// kernel with SIGPIPE; and the kernel adopts the orphans of its workers' cells (a child subreaper),
    /// so it can end them with the worker.
    private static let processSetUp: Void = {
        signal(SIGPIPE, SIG_IGN)
        ProcessTree.becomeSubreaper()
    }()

    /// Starts a worker: `executable worker`, loading `library` (libLSTMKit.so) when given.
    public init(executable: String, library: String?) throws(CellError) {
        _ = Self.processSetUp
        var pipes: [[Int32]] = []
        for _ in 0..<4 {
            var fds: [Int32] = [0, 0]
            guard Subprocess.makePipe(&fds) else { throw .setup("could not create pipes for the worker") }
            // Numbers well above the child's fixed descriptors 0...5, so no dup2 overwrites a source.
            let high = fds.map { fd -> Int32 in
                let copy = fcntl(fd, F_DUPFD_CLOEXEC, 100)
                close(fd)
                return copy
            }
            pipes.append(high)
        }
        let (command, event, out, err) = (pipes[0], pipes[1], pipes[2], pipes[3])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        posix_spawn_file_actions_adddup2(&actions, command[0], 3)
        posix_spawn_file_actions_adddup2(&actions, event[1], 4)
        // Display records share stdout's pipe, so they keep their order among prints.
        posix_spawn_file_actions_adddup2(&actions, out[1], 5)
        var environment = Subprocess.currentEnvironment().filter {
            !$0.hasPrefix("SWIFT_LSTM_") && !$0.hasPrefix("SWIFT_BACKTRACE=")
        }
        environment += ["SWIFT_LSTM_COMMAND_FD=3", "SWIFT_LSTM_EVENT_FD=4", "SWIFT_LSTM_DISPLAY_FD=5",
                        "SWIFT_LSTM_LIBRARY=\(library ?? "")",
                        // The runtime's backtracer would take over the trap signals and take seconds.
                        "SWIFT_BACKTRACE=enable=no"]
        // The worker leads a session of its own: every process its cells start stays in it (also
        // Foundation's `Process`, which gives each child its own process group), so ending the session
        // ends them. SIGPIPE, ignored by the kernel, gets its default action back in the worker.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let setSession: Int32 = 0x80  // POSIX_SPAWN_SETSID (glibc 2.26+)
        posix_spawnattr_setflags(&attributes, Int16(setSession | POSIX_SPAWN_SETSIGDEF))
        var child = pid_t()
        let arguments = [executable, "worker"]
        let status = Subprocess.withCStrings(arguments) { argv in
            Subprocess.withCStrings(environment) { envp in
                posix_spawn(&child, executable, &actions, &attributes, argv, envp)
            }
        }
        for fd in [command[0], event[1], out[1], err[1]] { close(fd) }
        guard status == 0 else {
            for fd in [command[1], event[0], out[0], err[0]] { close(fd) }
            throw .setup("could not start the worker \(executable): \(String(cString: strerror(status)))")
        }
        pid = child
        ProcessTree.protect(child)
        commandFD = command[1]
        eventReader = LineReader(fd: event[0])
        stdoutReader = ChunkReader(fd: out[0])
        stderrReader = ChunkReader(fd: err[0])
        pthread_mutex_init(&lock, nil)
        // Wait for `ready`, so a broken worker is reported now rather than by the first cell.
        var ready: [String]?
        while ready == nil {
            guard let line = eventReader.readLineBlocking() else {
                let text = String(decoding: stderrReader.readAvailable(), as: UTF8.self)
                throw .setup("the worker exited while starting: \(reap()) \(text)")
            }
            let fields = WireFormat.decode(Substring(line))
            if fields.first == "ready" { ready = fields }
        }
        libraryLoaded = ready?.dropFirst().first == "1"
    }

    deinit {
        terminate()
        for fd in [commandFD, eventReader.fd, stdoutReader.fd, stderrReader.fd] { close(fd) }
    }

    /// Asks the running cell to stop (LSTMKit loops stop at the next batch); if it has not stopped
    /// after `interruptGracePeriod` seconds, `run` kills the worker. Any thread.
    public func interrupt() {
        pthread_mutex_lock(&lock)
        let isRunning = running
        if isRunning && interruptRequestedAt == nil { interruptRequestedAt = Clock.now() }
        pthread_mutex_unlock(&lock)
        if isRunning { send(["interrupt"]) }
    }

    /// Kills the worker process and every process its cells started (used when it must be replaced, and
    /// at shutdown).
    public func terminate() {
        stopWatching()
        guard !exited else { return }
        send(["exit"])
        kill(pid, SIGKILL)
        _ = reap()
    }

    /// Loads a shared library into the worker with `RTLD_GLOBAL` (the packages `%install` built), while
    /// no cell runs; the worker's state is kept. Nil when it loaded, else why not (dlerror's text).
    public func load(_ library: String) -> String? {
        stopWatching()
        guard !exited, send(["load", library]) else { return "the worker is not running" }
        while true {
            guard let line = eventReader.readLineBlocking() else { return "the worker exited while loading \(library)" }
            let fields = WireFormat.decode(Substring(line))
            if fields.first == "loaded" { return nil }
            if fields.first == "loadfailed" { return fields.count > 2 ? fields[2] : "dlopen failed" }
        }
    }

    /// Tells the worker's NotebookDisplay that the frontend renders widgets. While no cell runs.
    public func announceWidgets() {
        guard !exited else { return }
        send(["widgets", "1"])
    }

    /// Publishes what the worker prints while no cell runs (a thread a cell started) to `sink` at once,
    /// from a thread of its own, until the next `run` or `terminate`.
    public func watchBetweenCells(sink: CellOutputSink) {
        stopWatching()
        guard !exited else { return }
        watcher = BetweenCellsWatcher(stdout: stdoutReader, stderr: stderrReader, splitter: splitter, sink: sink)
    }

    /// Stops the watcher and takes its readers back (they hold the partial text it read).
    private func stopWatching() {
        guard let watcher else { return }
        self.watcher = nil
        let state = watcher.stop()
        stdoutReader = state.stdout
        stderrReader = state.stderr
        splitter = state.splitter
    }

    /// Runs a built cell and streams its output to `sink` until it ends: text joined into pieces at most
    /// 50 ms old (`StreamCoalescer`), all of it published before this returns. Shell thread.
    public func run(_ build: CellBuild, allowStdin: Bool, sink userSink: CellOutputSink,
                    filter: inout RuntimeMessageFilter) -> WorkerRunResult {
        follow(["run", String(build.module), allowStdin ? "1" : "0", build.libraryPath, build.entryPoint],
               sink: userSink, filter: &filter)
    }

    /// Hands a frontend's comm message to the worker's Swift object (`kind` is `msg` or `close`) and runs
    /// its handler like a cell: output streams to `sink`, a throw or trap is reported. Shell thread.
    public func comm(_ id: String, json: String, kind: String, sink: CellOutputSink,
                     filter: inout RuntimeMessageFilter) -> WorkerRunResult {
        follow(["comm", id, json, kind], sink: sink, filter: &filter)
    }

    /// Sends `command` and streams the run it starts until its end event.
    private func follow(_ command: [String], sink userSink: CellOutputSink,
                        filter: inout RuntimeMessageFilter) -> WorkerRunResult {
        stopWatching()
        let sink = StreamCoalescer(sink: userSink)
        defer {
            sink.flush()
            // Orphans of this cell's processes that ended by themselves, re-parented to the kernel.
            ProcessTree.reapAdopted()
        }
        splitter = DisplayRecordSplitter()
        pthread_mutex_lock(&lock)
        running = true
        interruptRequestedAt = nil
        pthread_mutex_unlock(&lock)
        defer {
            pthread_mutex_lock(&lock)
            running = false
            pthread_mutex_unlock(&lock)
        }
        guard send(command) else {
            // EPIPE: the worker died while no cell ran (the out-of-memory killer, a user's `kill`).
            if case .died(let reason, let report) = died(filter: &filter, sink: sink) {
                return .died(reason: "before the cell started, while the worker was idle: \(reason)", report: report)
            }
            return .died(reason: "before the cell started", report: [])
        }
        var lastInterruptSent = 0.0
        var lastInput = Clock.now()
        while true {
            var fds = [stdoutReader.fd, stderrReader.fd, eventReader.fd].map {
                pollfd(fd: $0, events: Int16(POLLIN), revents: 0)
            }
            // Wake up in time to publish held text (`print` then `sleep` shows while the cell sleeps).
            let timeout = sink.deadline.map { max(1, min(100, Int32((($0 - Clock.now()) * 1000).rounded(.up)))) } ?? 100
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 && errno != EINTR { return died(filter: &filter, sink: sink) }
            // Unbuffered `print` writes its text and its newline separately: a millisecond's wait lets
            // both arrive, so one print is one stream message rather than two.
            if ready > 0 {
                usleep(1000)
                lastInput = Clock.now()
            }
            drainOutput(sink: sink, filter: &filter)
            // Partial lines the splitter and filter hold (a record may come in several reads) go out
            // after 100 ms of quiet, not at the stream coalescer's shorter wake-ups.
            if ready == 0 && Clock.now() - lastInput >= 0.1 {
                let partial = filter.flushPartial()
                if !partial.isEmpty { sink.cellOutput(partial, isError: true) }
                publish(splitter.flush(), to: sink)
            }
            sink.publishDue()
            // `live`: the worker runs the handler beside the cell and reports no event for it.
            for comm in userSink.cellPendingComms() { send(["comm", comm.id, comm.json, comm.kind, "live"]) }
            for line in eventReader.readAvailableLines() {
                let fields = WireFormat.decode(Substring(line))
                if let result = handleEvent(fields, sink: sink, filter: &filter) { return result }
            }
            if eventReader.closed { return died(filter: &filter, sink: sink) }
            pthread_mutex_lock(&lock)
            let since = interruptRequestedAt
            pthread_mutex_unlock(&lock)
            if let since, Clock.now() - lastInterruptSent > interruptRepeatInterval {
                lastInterruptSent = Clock.now()
                // The first interval is left to cooperative stops (LSTMKit's loops check a flag).
                if Clock.now() - since > interruptRepeatInterval { send(["stop"]) }
            }
            if let since, Clock.now() - since > interruptGracePeriod {
                terminate()
                drainOutput(sink: sink, filter: &filter)
                publish(splitter.finish(), to: sink)
                let rest = filter.finish()
                if !rest.isEmpty { sink.cellOutput(rest, isError: true) }
                return .killedAfterInterrupt
            }
        }
    }

    private func handleEvent(_ fields: [String], sink: CellOutputSink,
                             filter: inout RuntimeMessageFilter) -> WorkerRunResult? {
        // The cell's output was written before the event: take all of it first.
        drainOutput(sink: sink, filter: &filter)
        if fields.first != "input_request" { publish(splitter.finish(), to: sink) }
        switch fields.first {
        case "done":
            let rest = filter.finish()
            if !rest.isEmpty { sink.cellOutput(rest, isError: true) }
            return .finished(load: fields.count > 2 ? Double(fields[2]) ?? 0 : 0,
                             run: fields.count > 3 ? Double(fields[3]) ?? 0 : 0)
        case "threw" where fields.count >= 4:
            let rest = filter.finish()
            if !rest.isEmpty { sink.cellOutput(rest, isError: true) }
            return .threw(typeName: fields[2], description: fields[3])
        case "trapped" where fields.count >= 5:
            return .trapped(signal: Int32(fields[2]) ?? 0, report: filter.takeRuntimeReport(),
                            library: fields[3], offset: Int(fields[4]) ?? 0)
        case "loadfailed" where fields.count >= 3:
            return .loadFailed(fields[2])
        case "interrupted":
            let rest = filter.finish()
            if !rest.isEmpty { sink.cellOutput(rest, isError: true) }
            return .stoppedByInterrupt
        case "input_request":
            let answer = sink.cellNeedsInput(prompt: fields.count > 1 ? fields[1] : "")
            send(answer.map { ["input", $0] } ?? ["noinput"])
            return nil
        default:
            return nil
        }
    }

    private func drainOutput(sink: CellOutputSink, filter: inout RuntimeMessageFilter) {
        let out = stdoutReader.readAvailableText()
        if !out.isEmpty { publish(splitter.feed(out), to: sink) }
        let err = stderrReader.readAvailableText()
        if !err.isEmpty {
            let shown = filter.feed(err)
            if !shown.isEmpty { sink.cellOutput(shown, isError: true) }
        }
    }

    /// Passes stdout pieces on; a "record" that is not a JSON object was the cell's own text after all.
    private func publish(_ pieces: [DisplayRecordSplitter.Piece], to sink: CellOutputSink) {
        Self.publish(pieces, to: sink)
    }

    static func publish(_ pieces: [DisplayRecordSplitter.Piece], to sink: CellOutputSink) {
        for piece in pieces {
            switch piece {
            case .text(let text):
                sink.cellOutput(text, isError: false)
            case .record(let json):
                if DisplayRecordSplitter.isDisplayRecord(json) {
                    sink.cellDisplayRecord(json)
                } else {
                    sink.cellOutput(json + "\n", isError: false)
                }
            }
        }
    }

    private func died(filter: inout RuntimeMessageFilter, sink: CellOutputSink) -> WorkerRunResult {
        // Wait for the pipes to close, so the last words of the process are collected.
        drainOutput(sink: sink, filter: &filter)
        let reason = reap()
        drainOutput(sink: sink, filter: &filter)
        publish(splitter.finish(), to: sink)
        return .died(reason: reason, report: filter.takeRuntimeReport())
    }

    /// Ends every process the worker's cells started, waits for the worker to exit and says how it ended.
    private func reap() -> String {
        guard !exited else { return "it had already exited" }
        // Before the worker's pid is reaped, so its session id cannot belong to a new process yet.
        ProcessTree.endAll(session: pid, root: pid, adoptive: true)
        var status: Int32 = 0
        // A worker whose event pipe closed normally is exiting; one that closed it by itself (a cell
        // calling close(4)) would leave us waiting forever, so it gets two seconds, then SIGKILL.
        let deadline = Clock.now() + 2
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid || (done < 0 && errno != EINTR) { break }
            if Clock.now() > deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                break
            }
            usleep(5000)
        }
        exited = true
        ProcessTree.release(pid)
        let signal = status & 0x7f
        if signal == 0 { return "it exited with status \((status >> 8) & 0xff)" }
        let name = [4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL",
                    11: "SIGSEGV", 15: "SIGTERM"][Int(signal)] ?? "signal \(signal)"
        return "it was killed by \(name)"
    }

    @discardableResult
    private func send(_ fields: [String]) -> Bool {
        let bytes = Array(WireFormat.encode(fields).utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(commandFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
