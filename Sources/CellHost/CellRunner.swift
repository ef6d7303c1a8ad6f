#if canImport(Glibc)
import Glibc
#endif

/// Runs one cell's entry point on a fresh thread and captures how it ended: normally, by a top-level
/// throw (`swift_errorInMain`), or by a trap (SIGILL/SIGTRAP on the cell thread).
///
/// A trap or throw ends only the cell's thread (`pthread_exit`): the worker and the state of earlier
/// cells survive. A trap on any other thread, or a second trap while handling one, is not recoverable:
/// the default action runs and the kernel sees the worker die.
enum CellRunner {
    typealias EntryPoint = @convention(c) (Int32, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32

    /// How a cell ended.
    enum Outcome {
        case finished
        case threw(typeName: String, description: String)
        case trapped(signal: Int32, library: String, offset: Int)
        /// An interrupt found the cell in its own code and ended its thread (`CellInterrupter`).
        case interrupted
    }

    /// The running cell's thread; only meaningful while `cellRunning`.
    nonisolated(unsafe) static var cellThread = pthread_t()
    nonisolated(unsafe) static var cellRunning = false
    nonisolated(unsafe) static var outcome = Outcome.finished
    nonisolated(unsafe) static var handlingTrap = false
    /// The cell thread's kernel thread id (0 until it started), for `tgkill`.
    nonisolated(unsafe) static var cellThreadID: pid_t = 0
    /// Guards `cellRunning`/`cellThreadID` against an interrupt signalling a thread that ended.
    nonisolated(unsafe) static var threadLock = pthread_mutex_t()
    /// Counts cells run, so a stopper thread never signals a later cell.
    nonisolated(unsafe) static var cellGeneration = 1
    nonisolated(unsafe) static var stopperActive = false

    /// Installs the trap handlers (once, at worker start).
    static func installSignalHandlers() {
        // Resolve and warm up now: the lookups, and the first backtrace() (which loads libgcc_s), are not
        // safe inside a signal handler.
        if let backtrace = GlibcExtras.backtrace {
            var frames = [UnsafeMutableRawPointer?](repeating: nil, count: 4)
            _ = backtrace(&frames, 4)
        }
        _ = GlibcExtras.dladdr
        var action = sigaction()
        action.__sigaction_handler.sa_handler = onTrap
        sigemptyset(&action.sa_mask)
        // No interrupt while a trap is handled.
        sigaddset(&action.sa_mask, CellInterrupter.signalNumber)
        sigaction(SIGILL, &action, nil)
        sigaction(SIGTRAP, &action, nil)
        pthread_mutex_init(&threadLock, nil)
        CellInterrupter.install()
    }

    /// Whether the thread `tid` of this process is running or runnable (state `R` in
    /// `/proc/self/task/<tid>/stat`), as a busy loop is, rather than asleep in the kernel.
    static func threadIsRunning(_ tid: pid_t) -> Bool {
        let fd = open("/proc/self/task/\(tid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        // "tid (name) S …": the name may hold spaces and parentheses, so look after the last ')'.
        guard let close = buffer[0..<n].lastIndex(of: UInt8(ascii: ")")), close + 2 < n else { return false }
        return buffer[close + 2] == UInt8(ascii: "R")
    }

    /// Signals the cell's thread every 5 ms for 1.6 s (from a thread of its own), until the signal finds
    /// it in its own code and ends it, or the cell ends: a loop that calls into the Swift runtime is in its
    /// own code only part of the time. Any thread; a second call while one is at work does nothing.
    static func interruptCellCode() {
        pthread_mutex_lock(&threadLock)
        let generation = cellGeneration
        let start = cellRunning && !stopperActive
        if start { stopperActive = true }
        pthread_mutex_unlock(&threadLock)
        guard start else { return }
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { raw in
            let generation = Int(bitPattern: raw)
            for _ in 0..<320 {
                pthread_mutex_lock(&CellRunner.threadLock)
                let current = CellRunner.cellRunning && CellRunner.cellGeneration == generation
                // Only a thread that is running is signalled: one asleep in a system call (sleep, a read)
                // would have that call cut short and go on with its next statement, which an interrupt
                // must not cause; such a cell is left to the restart fallback.
                if current, CellRunner.cellThreadID != 0, let tgkill = CellInterrupter.tgkill,
                   CellRunner.threadIsRunning(CellRunner.cellThreadID) {
                    _ = tgkill(getpid(), CellRunner.cellThreadID, CellInterrupter.signalNumber)
                }
                pthread_mutex_unlock(&CellRunner.threadLock)
                if !current { break }
                usleep(5000)
            }
            pthread_mutex_lock(&CellRunner.threadLock)
            CellRunner.stopperActive = false
            pthread_mutex_unlock(&CellRunner.threadLock)
            return nil
        }, UnsafeMutableRawPointer(bitPattern: generation))
        if created == 0 {
            pthread_detach(thread)
        } else {
            pthread_mutex_lock(&threadLock)
            stopperActive = false
            pthread_mutex_unlock(&threadLock)
        }
    }

    /// Runs `entry` on a new thread with a large stack and waits for it to end.
    static func run(_ entry: EntryPoint) -> Outcome {
        outcome = .finished
        handlingTrap = false
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        // Debug-compiled cells recurse deeply (e.g. recursive functions); 64 MiB is ample.
        pthread_attr_setstacksize(&attributes, 64 << 20)
        let box = Unmanaged.passRetained(EntryBox(entry)).toOpaque()
        CellInterrupter.refreshSpans()
        pthread_mutex_lock(&threadLock)
        cellThreadID = 0
        cellGeneration += 1
        cellRunning = true
        pthread_mutex_unlock(&threadLock)
        let created = pthread_create(&cellThread, &attributes, { raw in
            // pthread_create may store the id only after the thread started: a trap in the first
            // instructions must still be recognised as the cell's.
            CellRunner.cellThread = pthread_self()
            pthread_mutex_lock(&CellRunner.threadLock)
            CellRunner.cellThreadID = CellInterrupter.gettid?() ?? 0
            pthread_mutex_unlock(&CellRunner.threadLock)
            let entry = Unmanaged<EntryBox>.fromOpaque(raw!).takeRetainedValue().entry
            _ = entry(0, nil)
            return nil
        }, box)
        guard created == 0 else {
            pthread_mutex_lock(&threadLock)
            cellRunning = false
            pthread_mutex_unlock(&threadLock)
            return .threw(typeName: "ThreadError", description: "could not start the cell's thread")
        }
        pthread_join(cellThread, nil)
        pthread_mutex_lock(&threadLock)
        cellRunning = false
        cellThreadID = 0
        pthread_mutex_unlock(&threadLock)
        return outcome
    }

    static var onCellThread: Bool { cellRunning && pthread_equal(pthread_self(), cellThread) != 0 }

    /// The thread of a widget handler run while a cell runs (`runBeside`), supervised like the cell's.
    nonisolated(unsafe) static var besideThread = pthread_t()
    nonisolated(unsafe) static var besideRunning = false
    nonisolated(unsafe) static var besideTrap: Int32 = 0
    nonisolated(unsafe) static var handlingBesideTrap = false

    static var onBesideThread: Bool { besideRunning && pthread_equal(pthread_self(), besideThread) != 0 }

    /// Runs `entry` on a new thread beside the running cell (one at a time: the caller serialises) and
    /// waits for it; a trap there ends only that thread. Returns the thread (for `notebook_display_recover`)
    /// and the trap's signal, 0 when it ended normally.
    static func runBeside(_ entry: EntryPoint) -> (thread: UInt, signal: Int32) {
        besideTrap = 0
        handlingBesideTrap = false
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, 16 << 20)
        let box = Unmanaged.passRetained(EntryBox(entry)).toOpaque()
        besideRunning = true
        var thread = pthread_t()
        let created = pthread_create(&thread, &attributes, { raw in
            CellRunner.besideThread = pthread_self()
            let entry = Unmanaged<EntryBox>.fromOpaque(raw!).takeRetainedValue().entry
            _ = entry(0, nil)
            return nil
        }, box)
        guard created == 0 else {
            besideRunning = false
            return (0, 0)
        }
        besideThread = thread
        pthread_join(thread, nil)
        besideRunning = false
        return (UInt(thread), besideTrap)
    }

    /// Called by `swift_errorInMain` on the cell's thread.
    static func reportThrow(_ error: any Error) -> Never {
        var typeName = String(reflecting: type(of: error))
        // `Cell3.Oops` → `Oops`: the module of a cell is an implementation detail.
        if typeName.hasPrefix("Cell"), let dot = typeName.firstIndex(of: "."),
           typeName[typeName.index(typeName.startIndex, offsetBy: 4)..<dot].allSatisfy(\.isNumber) {
            typeName = String(typeName[typeName.index(after: dot)...])
        }
        outcome = .threw(typeName: typeName, description: String(describing: error))
        pthread_exit(nil)
    }

    private final class EntryBox {
        let entry: EntryPoint
        init(_ entry: EntryPoint) { self.entry = entry }
    }
}

/// The SIGILL/SIGTRAP handler: on the cell thread, note where the cell was and end the thread.
private func onTrap(_ signal: Int32) {
    if CellRunner.onBesideThread, !CellRunner.handlingBesideTrap {
        CellRunner.handlingBesideTrap = true
        CellRunner.besideTrap = signal
        pthread_exit(nil)
    }
    guard CellRunner.onCellThread, !CellRunner.handlingTrap else {
        Glibc.signal(signal, SIG_DFL)
        raise(signal)
        return
    }
    CellRunner.handlingTrap = true
    let (library, offset) = cellFrame()
    CellRunner.outcome = .trapped(signal: signal, library: library, offset: offset)
    pthread_exit(nil)
}

/// The innermost stack frame inside a cell library (`libCell<N>.so`) and its offset in that file, so the
/// kernel can turn it into a cell line with the debug line table.
private func cellFrame() -> (String, Int) {
    guard let backtrace = GlibcExtras.backtrace, let dladdr = GlibcExtras.dladdr else { return ("", 0) }
    var frames = [UnsafeMutableRawPointer?](repeating: nil, count: 64)
    let count = Int(backtrace(&frames, 64))
    for frame in frames.prefix(max(count, 0)) {
        guard let address = frame else { continue }
        var info = DlInfo()
        guard withUnsafeMutablePointer(to: &info, { dladdr(address, UnsafeMutableRawPointer($0)) }) != 0, let name = info.fileName else { continue }
        let path = String(cString: name)
        if path.hasSuffix(".so"), path.split(separator: "/").last?.hasPrefix("libCell") == true {
            // Return addresses point after the call; step back one byte to land inside it.
            return (path, Int(bitPattern: address) - Int(bitPattern: info.base) - 1)
        }
    }
    return ("", 0)
}

/// `Dl_info` from <dlfcn.h> (the Glibc module hides it behind _GNU_SOURCE).
struct DlInfo {
    var fileName: UnsafePointer<CChar>? = nil
    var base: UnsafeMutableRawPointer? = nil
    var symbolName: UnsafePointer<CChar>? = nil
    var symbolAddress: UnsafeMutableRawPointer? = nil
}

/// glibc functions the Glibc module does not expose, looked up once.
enum GlibcExtras {
    typealias Backtrace = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>, Int32) -> Int32
    typealias DlAddr = @convention(c) (UnsafeRawPointer, UnsafeMutableRawPointer) -> Int32
    static let backtrace: Backtrace? = dlsym(nil, "backtrace").map { unsafeBitCast($0, to: Backtrace.self) }
    static let dladdr: DlAddr? = dlsym(nil, "dladdr").map { unsafeBitCast($0, to: DlAddr.self) }
}

/// Script mode calls this runtime entry when top-level code throws. The worker executable is linked with
/// `--export-dynamic`, so this definition replaces the runtime's (which would end the process).
/// The compiler warns that the name is reserved; `CellHostTests` and the Python tests prove it still works.
@_cdecl("swift_errorInMain")
public func cellHostErrorInMain(_ raw: UnsafeMutableRawPointer) {
    let error = unsafeBitCast(raw, to: (any Error).self)
    if CellRunner.onCellThread {
        CellRunner.reportThrow(error)
    }
    // Not a cell (e.g. the kernel's own main): behave like the runtime, report and exit.
    fputs("Fatal error: Error raised at top level: \(String(reflecting: error))\n", stderr)
    exit(1)
}
