#if canImport(Glibc)
import Glibc
#endif

/// Finds and ends the processes a worker's cells started, directly or not, from `/proc`.
///
/// The worker runs as a session leader, so everything its cells start shares its session id — also
/// Foundation's `Process` children, which get a process group of their own, and grandchildren whose
/// parent exited. The kernel is a child subreaper, so orphans re-parent to it instead of to init, and a
/// process that left the session with `setsid` is still found as the kernel's child or a descendant.
public enum ProcessTree {
    nonisolated(unsafe) private static var protectedLock = pthread_mutex_t()
    nonisolated(unsafe) private static var protectedPIDs: Set<pid_t> = []
    private static let lockReady: Bool = {
        pthread_mutex_init(&protectedLock, nil)
        return true
    }()

    /// Marks `pid` (a child of this process that lives outside its session, e.g. another worker) as one
    /// `endAll` and `reapAdopted` must leave alone; `release` undoes it.
    public static func protect(_ pid: pid_t) {
        _ = lockReady
        pthread_mutex_lock(&protectedLock)
        protectedPIDs.insert(pid)
        pthread_mutex_unlock(&protectedLock)
    }

    /// Ends the protection `protect` gave `pid`.
    public static func release(_ pid: pid_t) {
        _ = lockReady
        pthread_mutex_lock(&protectedLock)
        protectedPIDs.remove(pid)
        pthread_mutex_unlock(&protectedLock)
    }

    private static var protected: Set<pid_t> {
        _ = lockReady
        pthread_mutex_lock(&protectedLock)
        defer { pthread_mutex_unlock(&protectedLock) }
        return protectedPIDs
    }

    struct Entry {
        var pid: pid_t
        var parent: pid_t
        var session: pid_t
        var zombie: Bool
    }

    /// Makes the calling process a child subreaper (Linux `PR_SET_CHILD_SUBREAPER`): orphaned
    /// descendants re-parent to it. False when the call is unavailable.
    @discardableResult
    public static func becomeSubreaper() -> Bool {
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        // prctl is variadic in C; every argument here is an integer, so the fixed-argument call is sound.
        guard let symbol = dlsym(nil, "prctl") else { return false }
        let prctl = unsafeBitCast(symbol, to: Prctl.self)
        let setChildSubreaper: Int32 = 36
        return prctl(setChildSubreaper, 1, 0, 0, 0) == 0
    }

    /// Every process now, from `/proc/<pid>/stat`.
    static func snapshot() -> [Entry] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var entries: [Entry] = []
        while let item = readdir(dir) {
            let name = withUnsafePointer(to: item.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard let pid = pid_t(name), let entry = read(pid) else { continue }
            entries.append(entry)
        }
        return entries
    }

    /// `pid (comm) state ppid pgrp session …`; the command name may hold spaces and parentheses, so the
    /// fields are read after the last `)`.
    static func read(_ pid: pid_t) -> Entry? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 1024) }
        guard n > 0, let paren = buffer[0..<n].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = buffer[(paren + 1)..<n].split(separator: UInt8(ascii: " ")).prefix(5)
            .map { String(decoding: $0, as: UTF8.self) }
        guard fields.count == 5, let parent = pid_t(fields[1]), let session = pid_t(fields[3]) else { return nil }
        return Entry(pid: pid, parent: parent, session: session, zombie: fields[0] == "Z")
    }

    /// The live processes to end: members of `session` and descendants of `roots` (never `spare`).
    static func targets(in entries: [Entry], session: pid_t?, roots: Set<pid_t>, spare: Set<pid_t>) -> [Entry] {
        var children: [pid_t: [Entry]] = [:]
        for entry in entries { children[entry.parent, default: []].append(entry) }
        var found: [pid_t: Entry] = [:]
        var stack = Array(roots)
        while let next = stack.popLast() {
            for child in children[next] ?? [] where found[child.pid] == nil {
                found[child.pid] = child
                stack.append(child.pid)
            }
        }
        if let session {
            for entry in entries where entry.session == session { found[entry.pid] = entry }
        }
        return found.values.filter { !spare.contains($0.pid) && !$0.zombie }
    }

    /// Ends (SIGKILL) every process in `session` and every descendant of `root`, repeating until none is
    /// left (a process may fork while the first round runs). With `adoptive`, the caller is a subreaper:
    /// its children outside its own session (orphans it adopted), except `spare`, and their descendants
    /// are ended too, and every such child that has exited is reaped. Neither the caller nor `root`
    /// itself is signalled.
    public static func endAll(session: pid_t?, root: pid_t?, adoptive: Bool, spare: Set<pid_t> = []) {
        let me = getpid()
        let mySession = getsid(0)
        let spare = spare.union(protected).subtracting(root.map { [$0] } ?? [])
        let spared = spare.union([me]).union(root.map { [$0] } ?? [])
        for _ in 0..<200 {
            let entries = snapshot()
            var roots: Set<pid_t> = root.map { [$0] } ?? []
            if adoptive {
                for entry in entries where entry.parent == me && entry.session != mySession
                    && !spare.contains(entry.pid) && entry.pid != root {
                    roots.insert(entry.pid)
                    if !entry.zombie { kill(entry.pid, SIGKILL) }
                }
            }
            let doomed = targets(in: entries, session: session, roots: roots, spare: spared)
            for entry in doomed { kill(entry.pid, SIGKILL) }
            if adoptive { reapAdopted(entries, spare: spared) }
            if doomed.isEmpty && !(adoptive && roots.contains(where: { $0 != root })) { return }
            usleep(2000)
        }
    }

    /// Reaps the caller's exited children outside its own session (adopted orphans), except `spare`.
    public static func reapAdopted(spare: Set<pid_t> = []) {
        reapAdopted(snapshot(), spare: spare.union(protected).union([getpid()]))
    }

    private static func reapAdopted(_ entries: [Entry], spare: Set<pid_t>) {
        let me = getpid()
        let mySession = getsid(0)
        var status: Int32 = 0
        for entry in entries where entry.parent == me && entry.session != mySession && !spare.contains(entry.pid) {
            _ = waitpid(entry.pid, &status, WNOHANG)
        }
    }
}
