import Foundation
import JupyterProtocol

/// The kernel's table of open comms: comm id → target name and the request whose execution opened it.
///
/// The worker owns the Swift objects behind the comms; the kernel only routes. Comms are added when the
/// worker publishes `comm_open` and removed on `comm_close` from either side. Thread-safe: comms are opened
/// from the shell thread and from threads publishing after a cell's reply.
public final class CommTable: @unchecked Sendable {
    /// One open comm.
    public struct Entry: Sendable {
        public let target: String
        /// The execute_request whose execution opened the comm: output of the comm's handlers goes there.
        public let origin: Message
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    public init() {}

    func open(_ id: String, target: String, origin: Message) {
        lock.lock()
        entries[id] = Entry(target: target, origin: origin)
        lock.unlock()
    }

    @discardableResult
    func close(_ id: String) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        return entries.removeValue(forKey: id)
    }

    func entry(_ id: String) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        return entries[id]
    }

    /// id → target name, only the comms of `target` when it is given.
    func targets(named target: String?) -> [String: String] {
        lock.lock()
        defer { lock.unlock() }
        var out: [String: String] = [:]
        for (id, entry) in entries where target == nil || entry.target == target { out[id] = entry.target }
        return out
    }
}
