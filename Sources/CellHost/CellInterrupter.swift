#if canImport(Glibc)
import Glibc
#endif

/// Stops a cell that is running its own code when the user interrupts it, keeping the worker and the state
/// of earlier cells: a signal goes to the cell's thread, and its handler ends that thread (as a trap does)
/// only if the interrupted instruction and every caller up to the cell's entry point lie in cell libraries
/// (`libCell*.so`). Code anywhere else — the Swift runtime, libc, LSTMKit, a system call — may hold a lock
/// that ending the thread would leave locked forever, so there the handler returns, the kernel repeats the
/// interrupt a few times, and only then restarts the worker.
enum CellInterrupter {
    /// An address range of executable code.
    struct Span {
        var low: UInt
        var high: UInt
        func contains(_ address: UInt) -> Bool { address >= low && address < high }
    }

    static let capacity = 4096
    /// Executable segments of the loaded cell libraries, refreshed before each cell starts (the signal
    /// handler cannot call the loader).
    nonisolated(unsafe) static let cellSpans = UnsafeMutablePointer<Span>.allocate(capacity: capacity)
    nonisolated(unsafe) static var cellSpanCount = 0
    /// The worker executable's code, where the cell's entry point is called from.
    nonisolated(unsafe) static let hostSpans = UnsafeMutablePointer<Span>.allocate(capacity: 16)
    nonisolated(unsafe) static var hostSpanCount = 0
    nonisolated(unsafe) static let frames = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1024)

    /// The signal sent to the cell thread: the first real-time signal glibc leaves to programs, plus 3.
    static let signalNumber: Int32 = {
        typealias Query = @convention(c) () -> Int32
        if let symbol = dlsym(nil, "__libc_current_sigrtmin") {
            return unsafeBitCast(symbol, to: Query.self)() + 3
        }
        return SIGUSR2
    }()

    typealias GetTID = @convention(c) () -> pid_t
    typealias TGKill = @convention(c) (pid_t, pid_t, Int32) -> Int32
    static let gettid: GetTID? = dlsym(nil, "gettid").map { unsafeBitCast($0, to: GetTID.self) }
    static let tgkill: TGKill? = dlsym(nil, "tgkill").map { unsafeBitCast($0, to: TGKill.self) }

    /// Installs the handler (once, at worker start).
    static func install() {
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = onInterruptSignal
        action.sa_flags = SA_SIGINFO | SA_RESTART
        sigemptyset(&action.sa_mask)
        sigaction(signalNumber, &action, nil)
        _ = gettid
        _ = tgkill
        _ = frames    // a lazy global: its first use must not be inside the handler (swift_once, malloc)
    }

    /// Records the executable segments of the cell libraries and of the worker executable.
    static func refreshSpans() {
        typealias Iterate = @convention(c) (
            @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Int32,
            UnsafeMutableRawPointer?) -> Int32
        guard let symbol = dlsym(nil, "dl_iterate_phdr") else { return }
        cellSpanCount = 0
        hostSpanCount = 0
        _ = unsafeBitCast(symbol, to: Iterate.self)({ raw, _, _ in
            guard let info = raw?.assumingMemoryBound(to: PhdrInfo.self).pointee, let headers = info.headers else {
                return 0
            }
            let name = info.name.map { String(cString: $0) } ?? ""
            let file = name.split(separator: "/").last.map(String.init) ?? ""
            let isCell = file.hasPrefix("libCell") && file.hasSuffix(".so")
            // The main program is the object without a name.
            let isHost = name.isEmpty
            guard isCell || isHost else { return 0 }
            for index in 0..<Int(info.headerCount) {
                let header = headers[index]
                // PT_LOAD segments with PF_X.
                guard header.type == 1, header.flags & 1 != 0 else { continue }
                let span = Span(low: info.address &+ UInt(header.virtualAddress),
                                high: info.address &+ UInt(header.virtualAddress) &+ UInt(header.memorySize))
                if isCell, CellInterrupter.cellSpanCount < CellInterrupter.capacity {
                    CellInterrupter.cellSpans[CellInterrupter.cellSpanCount] = span
                    CellInterrupter.cellSpanCount += 1
                } else if isHost, CellInterrupter.hostSpanCount < 16 {
                    CellInterrupter.hostSpans[CellInterrupter.hostSpanCount] = span
                    CellInterrupter.hostSpanCount += 1
                }
            }
            return 0
        }, nil)
    }

    static func inCell(_ address: UInt) -> Bool {
        for index in 0..<cellSpanCount where cellSpans[index].contains(address) { return true }
        return false
    }

    static func inHost(_ address: UInt) -> Bool {
        for index in 0..<hostSpanCount where hostSpans[index].contains(address) { return true }
        return false
    }

    /// Whether the thread was interrupted in cell code called only by cell code, down to the worker's
    /// call of the entry point. `pc` is the interrupted instruction.
    static func interruptedInCellCode(pc: UInt) -> Bool {
        guard inCell(pc), let backtrace = GlibcExtras.backtrace else { return false }
        let count = Int(backtrace(frames, 1024))
        // The handler's own frames and the signal trampoline come first; then the interrupted pc.
        guard let start = (0..<max(count, 0)).first(where: { UInt(bitPattern: frames[$0]) == pc }) else { return false }
        for index in (start + 1)..<count {
            // Return addresses point after the call instruction.
            let caller = UInt(bitPattern: frames[index]) &- 1
            if inCell(caller) { continue }
            return inHost(caller)
        }
        return false
    }
}

/// The interrupt signal's handler, on the cell thread.
private func onInterruptSignal(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?,
                               _ context: UnsafeMutableRawPointer?) {
    guard CellRunner.onCellThread, !CellRunner.handlingTrap, let context else { return }
    let machine = context.assumingMemoryBound(to: ucontext_t.self).pointee.uc_mcontext
    // gregs[REG_RIP]; REG_RIP is 16 on x86_64.
    let pc = UInt(bitPattern: Int(machine.gregs.16))
    guard CellInterrupter.interruptedInCellCode(pc: pc) else { return }
    CellRunner.handlingTrap = true
    CellRunner.outcome = .interrupted
    pthread_exit(nil)
}

/// `struct dl_phdr_info` from <link.h> (its first four fields).
struct PhdrInfo {
    var address: UInt
    var name: UnsafePointer<CChar>?
    var headers: UnsafePointer<ProgramHeader>?
    var headerCount: UInt16
}

/// `Elf64_Phdr`.
struct ProgramHeader {
    var type: UInt32
    var flags: UInt32
    var offset: UInt64
    var virtualAddress: UInt64
    var physicalAddress: UInt64
    var fileSize: UInt64
    var memorySize: UInt64
    var alignment: UInt64
}
