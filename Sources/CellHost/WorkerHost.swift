#if canImport(Glibc)
import Glibc
#endif

/// The execution worker (`swift-lstm-kernel worker`): loads LSTMKit and NotebookDisplay once, then runs
/// cells on command. The kernel owns the other ends of its pipes: commands on fd
/// `SWIFT_LSTM_COMMAND_FD`, events on `SWIFT_LSTM_EVENT_FD`, MIME bundles on `SWIFT_LSTM_DISPLAY_FD`
/// (written by NotebookDisplay), and stdout/stderr as pipes.
public enum WorkerHost {
    nonisolated(unsafe) static var eventFD: Int32 = 4
    nonisolated(unsafe) static var eventLock = pthread_mutex_t()
    nonisolated(unsafe) static var requestInterrupt: (@convention(c) () -> Void)?
    nonisolated(unsafe) static var clearInterrupt: (@convention(c) () -> Void)?
    nonisolated(unsafe) static var busy = false
    /// NotebookDisplay's comm entry point: (comm id, JSON data, kind) → nil, or a malloc'd
    /// `type name\tdescription` when the handler threw.
    typealias CommHook = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafePointer<CChar>)
        -> UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) static var commHook: CommHook?
    /// NotebookDisplay's entry point for a comm message handled while a cell runs (output to the widget's cell).
    typealias LiveCommHook = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafePointer<CChar>) -> Void
    nonisolated(unsafe) static var liveCommHook: LiveCommHook?
    /// NotebookDisplay's clean-up after a trap: (thread, consume) → nil when the thread captured no output,
    /// else a malloc'd `C` (the error was shown where the output goes) or `T<runtime report>`.
    typealias RecoverHook = @convention(c) (UInt, Int32) -> UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) static var recoverHook: RecoverHook?
    /// NotebookDisplay's switch for a frontend that renders widgets.
    nonisolated(unsafe) static var widgetsHook: (@convention(c) (Int32) -> Void)?
    /// The comm message the comm thread handles (set before it starts).
    nonisolated(unsafe) static var pendingComm: (id: String, json: String, kind: String) = ("", "", "")

    /// Runs the worker until the kernel closes the command pipe or sends `exit`.
    public static func run() -> Never {
        // Unbuffered: output streams live, and nothing printed is lost when a cell traps.
        setvbuf(stdout, nil, _IONBF, 0)
        setvbuf(stderr, nil, _IONBF, 0)
        let commandFD = environmentFD("SWIFT_LSTM_COMMAND_FD", default: 3)
        eventFD = environmentFD("SWIFT_LSTM_EVENT_FD", default: 4)
        // Interrupts reach cells through the kernel (`interrupt` command): a SIGINT sent to the whole
        // process group (Ctrl-C in a terminal, jupyter_client's signal mode) must not kill the worker.
        signal(SIGINT, SIG_IGN)
        // Processes a cell starts must not hold the kernel's pipes: a child keeping the event pipe open
        // would hide this worker's death from the kernel.
        _ = fcntl(commandFD, F_SETFD, FD_CLOEXEC)
        _ = fcntl(eventFD, F_SETFD, FD_CLOEXEC)
        pthread_mutex_init(&eventLock, nil)
        pthread_mutex_init(&liveCommLock, nil)
        StdinBridge.setUp()
        CellRunner.installSignalHandlers()
        let loaded = loadLibrary()
        send(["ready", loaded ? "1" : "0"])

        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(commandFD, $0.baseAddress, 65536) }
            if n < 0 && errno == EINTR { continue }
            // The kernel went away (also when it was killed with SIGKILL): nothing can ever be reported
            // again, and what the cells started must not outlive it.
            if n <= 0 { exitEndingCellProcesses() }
            pending.append(contentsOf: buffer[0..<n])
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                handle(WireFormat.decode(Substring(line)))
            }
        }
    }

    private static func handle(_ fields: [String]) {
        switch fields.first {
        case "run" where fields.count == 5:
            startCell(module: fields[1], allowStdin: fields[2] == "1", library: fields[3], entry: fields[4])
        case "load" where fields.count == 2:
            // A library of installed packages (`%install`): loaded globally, so later cells bind to it;
            // the state of earlier cells is untouched.
            if dlopen(fields[1], RTLD_NOW | RTLD_GLOBAL) != nil {
                send(["loaded", fields[1]])
            } else {
                send(["loadfailed", fields[1], String(cString: dlerror())])
            }
        case "comm" where fields.count == 4:
            pendingComm = (fields[1], fields[2], fields[3])
            startComm()
        case "comm" where fields.count == 5 && fields[4] == "live":
            startLiveComm(id: fields[1], json: fields[2], kind: fields[3])
        case "widgets" where fields.count == 2:
            widgetsHook?(fields[1] == "1" ? 1 : 0)
        case "interrupt":
            requestInterrupt?()
            if StdinBridge.isWaiting { StdinBridge.deliver(nil) }
        case "stop":
            // After an interrupt that did not end the cell cooperatively: a cell in its own code (a busy
            // loop) is stopped by ending its thread. The kernel repeats the command while it waits, since a
            // loop calling into the runtime is in its own code only at times.
            CellRunner.interruptCellCode()
        case "input":
            StdinBridge.deliver(fields.count > 1 ? fields[1] : "")
        case "noinput":
            StdinBridge.deliver(nil)
        case "exit":
            exitEndingCellProcesses()
        default:
            fputs("swift-lstm-kernel worker: unknown command \(fields)\n", stderr)
        }
    }

    /// Loads `libLSTMKit.so` (both library modules) globally, so cells bind to this one copy.
    private static func loadLibrary() -> Bool {
        guard let path = getenv("SWIFT_LSTM_LIBRARY").map({ String(cString: $0) }), !path.isEmpty else {
            return false
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL) else {
            fputs("swift-lstm-kernel worker: cannot load \(path): \(String(cString: dlerror()))\n", stderr)
            return false
        }
        typealias Hook = @convention(c) () -> Void
        if let install = dlsym(handle, "notebook_display_install") {
            unsafeBitCast(install, to: Hook.self)()
        }
        requestInterrupt = dlsym(handle, "lstmkit_request_interrupt").map { unsafeBitCast($0, to: Hook.self) }
        clearInterrupt = dlsym(handle, "lstmkit_clear_interrupt").map { unsafeBitCast($0, to: Hook.self) }
        commHook = dlsym(handle, "notebook_display_comm").map { unsafeBitCast($0, to: CommHook.self) }
        liveCommHook = dlsym(handle, "notebook_display_comm_live").map { unsafeBitCast($0, to: LiveCommHook.self) }
        recoverHook = dlsym(handle, "notebook_display_recover").map { unsafeBitCast($0, to: RecoverHook.self) }
        widgetsHook = dlsym(handle, "notebook_display_frontend_widgets").map {
            unsafeBitCast($0, to: (@convention(c) (Int32) -> Void).self)
        }
        return true
    }

    /// Runs a cell on a supervisor thread, so this thread keeps reading commands (interrupt, input).
    private static func startCell(module: String, allowStdin: Bool, library: String, entry: String) {
        final class Job {
            let module: String, library: String, entry: String
            init(_ m: String, _ l: String, _ e: String) { module = m; library = l; entry = e }
        }
        StdinBridge.allowStdin = allowStdin
        let job = Unmanaged.passRetained(Job(module, library, entry)).toOpaque()
        var thread = pthread_t()
        pthread_create(&thread, nil, { raw in
            let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
            WorkerHost.runCell(module: job.module, library: job.library, entry: job.entry)
            return nil
        }, job)
        pthread_detach(thread)
    }

    private static func runCell(module: String, library: String, entry: String) {
        waitForLiveHandlers()
        let loadStart = monotonicSeconds()
        guard let handle = dlopen(library, RTLD_NOW | RTLD_GLOBAL) else {
            send(["loadfailed", module, String(cString: dlerror())])
            return
        }
        guard let symbol = dlsym(handle, entry) else {
            send(["loadfailed", module, "\(library) has no entry point \(entry)"])
            return
        }
        clearInterrupt?()
        let runStart = monotonicSeconds()
        let outcome = CellRunner.run(unsafeBitCast(symbol, to: CellRunner.EntryPoint.self))
        let runEnd = monotonicSeconds()
        fflush(stdout)
        fflush(stderr)
        switch outcome {
        case .finished:
            send(["done", module, String(runStart - loadStart), String(runEnd - runStart)])
        case .threw(let typeName, let description):
            send(["threw", module, typeName, description])
        case .trapped(let signal, let library, let offset):
            // A trap inside a widget's output capture (`interact` in the cell): descriptors back, and the
            // runtime's report where the kernel reads it.
            _ = recover(thread: UInt(CellRunner.cellThread), consume: false)
            send(["trapped", module, String(signal), library, String(offset)])
        case .interrupted:
            _ = recover(thread: UInt(CellRunner.cellThread), consume: false)
            send(["interrupted", module])
        }
    }

    /// Ends the output captures a trapped thread left open (`notebook_display_recover`). With `consume`,
    /// true when the error was shown where the thread's output went; else the runtime's report is written
    /// to stderr, where the kernel finds it.
    private static func recover(thread: UInt, consume: Bool) -> Bool {
        guard let hook = recoverHook, let answer = hook(thread, consume ? 1 : 0) else { return false }
        let text = String(cString: answer)
        free(answer)
        if text.hasPrefix("C") { return true }
        let report = text.dropFirst()
        if !report.isEmpty { fputs(report.hasSuffix("\n") ? String(report) : report + "\n", stderr) }
        return false
    }

    /// Runs a comm handler (`comm <id> <json> <kind>`) as a short execution: on a thread of its own
    /// supervised like a cell's, so a trap in the handler is survived and reported; it ends with the same
    /// events as a cell (`done comm …`, `threw comm …`, `trapped comm …`).
    private static func startComm() {
        var thread = pthread_t()
        pthread_create(&thread, nil, { _ in
            WorkerHost.runComm()
            return nil
        }, nil)
        pthread_detach(thread)
    }

    nonisolated(unsafe) private static var commFailure: String?

    /// A comm message that arrived while a cell runs: the handler runs at once beside the cell (handlers
    /// that update state, the slider case), one at a time, on a thread supervised like a cell's; no event
    /// is sent (the kernel is following the cell). Its output and a thrown error go to the cell that
    /// created the widget (NotebookDisplay tags them); a trap ends only the handler's thread and is shown
    /// there too.
    private static func startLiveComm(id: String, json: String, kind: String) {
        final class Job {
            let id: String, json: String, kind: String
            init(_ i: String, _ j: String, _ k: String) { id = i; json = j; kind = k }
        }
        let job = Unmanaged.passRetained(Job(id, json, kind)).toOpaque()
        var thread = pthread_t()
        pthread_create(&thread, nil, { raw in
            let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
            pthread_mutex_lock(&WorkerHost.liveCommLock)
            defer { pthread_mutex_unlock(&WorkerHost.liveCommLock) }
            WorkerHost.pendingLiveComm = (job.id, job.json, job.kind)
            let (handlerThread, signal) = CellRunner.runBeside { _, _ in
                let message = WorkerHost.pendingLiveComm
                if let live = WorkerHost.liveCommHook {
                    live(message.id, message.json, message.kind)
                } else if let failure = WorkerHost.commHook?(message.id, message.json, message.kind) {
                    let parts = String(cString: failure).split(separator: "\t", maxSplits: 1).map(String.init)
                    free(failure)
                    fputs("widget handler threw \(parts.first ?? "an error"): \(parts.count > 1 ? parts[1] : "")\n", stderr)
                }
                return 0
            }
            if signal != 0, !WorkerHost.recover(thread: handlerThread, consume: true) {
                fputs("a widget handler trapped (signal \(signal)); the session's state is kept\n", stderr)
            }
            return nil
        }, job)
        pthread_detach(thread)
    }

    nonisolated(unsafe) static var pendingLiveComm: (id: String, json: String, kind: String) = ("", "", "")
    nonisolated(unsafe) static var liveCommLock = pthread_mutex_t()

    /// A widget handler started while the previous cell ran may still be running: the next cell or
    /// handler starts after it (as ipykernel handles comm messages one at a time), so their output and
    /// captures never mix.
    private static func waitForLiveHandlers() {
        pthread_mutex_lock(&liveCommLock)
        pthread_mutex_unlock(&liveCommLock)
    }

    private static func runComm() {
        waitForLiveHandlers()
        guard commHook != nil else {
            send(["done", "comm", "0", "0"])
            return
        }
        clearInterrupt?()
        commFailure = nil
        let start = monotonicSeconds()
        let outcome = CellRunner.run { _, _ in
            let message = WorkerHost.pendingComm
            if let failure = WorkerHost.commHook?(message.id, message.json, message.kind) {
                WorkerHost.commFailure = String(cString: failure)
                free(failure)
            }
            return 0
        }
        fflush(stdout)
        fflush(stderr)
        switch outcome {
        case .finished:
            if let failure = commFailure {
                let parts = failure.split(separator: "\t", maxSplits: 1).map(String.init)
                send(["threw", "comm", parts.first ?? "Error", parts.count > 1 ? parts[1] : ""])
            } else {
                send(["done", "comm", "0", String(monotonicSeconds() - start)])
            }
        case .threw(let typeName, let description):
            send(["threw", "comm", typeName, description])
        case .trapped(let signal, let library, let offset):
            // Inside an Output widget's capture (`interact`), the error is shown there.
            if recover(thread: UInt(CellRunner.cellThread), consume: true) {
                send(["done", "comm", "0", String(monotonicSeconds() - start)])
            } else {
                send(["trapped", "comm", String(signal), library, String(offset)])
            }
        case .interrupted:
            _ = recover(thread: UInt(CellRunner.cellThread), consume: false)
            send(["interrupted", "comm"])
        }
    }

    /// Ends every process this worker's cells started (its session, and its descendants that left it),
    /// then the worker.
    static func exitEndingCellProcesses() -> Never {
        ProcessTree.endAll(session: getpid(), root: getpid(), adoptive: false)
        _exit(0)
    }

    /// Writes one event line to the kernel (whole, under a lock: several threads send events).
    static func send(_ fields: [String]) {
        let bytes = Array(WireFormat.encode(fields).utf8)
        pthread_mutex_lock(&eventLock)
        defer { pthread_mutex_unlock(&eventLock) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(eventFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { exitEndingCellProcesses() }
            offset += n
        }
    }

    private static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private static func environmentFD(_ name: String, default value: Int32) -> Int32 {
        getenv(name).flatMap { Int32(String(cString: $0)) } ?? value
    }
}
