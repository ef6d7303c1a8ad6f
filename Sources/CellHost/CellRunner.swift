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
    }

    /// The running cell's thread; only meaningful while `cellRunning`.
    nonisolated(unsafe) static var cellThread = pthread_t()
    nonisolated(unsafe) static var cellRunning = false
    nonisolated(unsafe) static var outcome = Outcome.finished
    nonisolated(unsafe) static var handlingTrap = false

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
        sigaction(SIGILL, &action, nil)
        sigaction(SIGTRAP, &action, nil)
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
        cellRunning = true
        let created = pthread_create(&cellThread, &attributes, { raw in
            // pthread_create may store the id only after the thread started: a trap in the first
            // instructions must still be recognised as the cell's.
            CellRunner.cellThread = pthread_self()
            let entry = Unmanaged<EntryBox>.fromOpaque(raw!).takeRetainedValue().entry
            _ = entry(0, nil)
            return nil
        }, box)
        guard created == 0 else {
            cellRunning = false
            return .threw(typeName: "ThreadError", description: "could not start the cell's thread")
        }
        pthread_join(cellThread, nil)
        cellRunning = false
        return outcome
    }

    static var onCellThread: Bool { cellRunning && pthread_equal(pthread_self(), cellThread) != 0 }

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
