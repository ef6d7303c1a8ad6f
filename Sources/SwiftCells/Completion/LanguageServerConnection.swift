import CellHost
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A JSON-RPC connection to a language server running as a child process, over its stdin and stdout
/// (the LSP base protocol: `Content-Length` headers, then a UTF-8 JSON body).
///
/// A reader thread owns the server's output: it hands responses to whoever waits for them, answers the
/// server's own requests, and drops notifications (diagnostics). The server's stdin and stdout are
/// Unix socket pairs rather than pipes so that writing to a server that died returns an error
/// (`MSG_NOSIGNAL`) instead of raising SIGPIPE in the kernel process. Both our ends are close-on-exec,
/// so compilers and workers the cell engine starts never hold the server's streams open.
final class LanguageServerConnection: @unchecked Sendable {
    /// What a request ended with.
    enum Outcome {
        /// The server's response object (it holds `result` or `error`).
        case response([String: Any])
        /// The deadline passed first; the request was cancelled.
        case timedOut
        /// The server is gone (exited, crashed or never started).
        case disconnected
    }

    /// Called on the reader thread with the response, or nil when the server went away first.
    typealias ResponseHandler = ([String: Any]?) -> Void

    private let process = Process()
    private let toServer: Int32
    private let fromServer: Int32
    private let lock = NSLock()
    private let writeLock = NSLock()
    private var nextID = 1
    private var handlers: [Int: ResponseHandler] = [:]
    private var alive = true
    /// Set (under `writeLock` and `lock`) when the reader closed the sockets: a descriptor number is
    /// reused by the next `open`, so nothing may touch them afterwards.
    private var socketsClosed = false
    private var lastMessageTime = DispatchTime.now()

    /// Starts `executable` in `workingDirectory` and the thread that reads its output.
    init(executable: String, arguments: [String], workingDirectory: URL) throws {
        let input = try Self.makeSocketPair()
        let output = try Self.makeSocketPair()
        toServer = input.ours
        fromServer = output.ours
        let childInput = FileHandle(fileDescriptor: input.theirs, closeOnDealloc: true)
        let childOutput = FileHandle(fileDescriptor: output.theirs, closeOnDealloc: true)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        process.standardInput = childInput
        process.standardOutput = childOutput
        process.standardError = FileHandle.nullDevice
        defer {
            // The child has its own copies now; ours would keep its stdin from ever reaching EOF.
            try? childInput.close()
            try? childOutput.close()
        }
        do {
            try process.run()
        } catch {
            close(toServer)
            close(fromServer)
            throw error
        }
        // Not a worker's orphan: the kernel's clean-up of cell processes must leave the server alone.
        ProcessTree.protect(process.processIdentifier)
        let reader = Thread { [self] in readLoop() }
        reader.name = "sourcekit-lsp reader"
        reader.start()
    }

    /// False once the server has exited or the connection was terminated.
    var isAlive: Bool {
        lock.lock()
        defer { lock.unlock() }
        return alive
    }

    /// Seconds since the server last sent anything (a response, a request or a notification); a
    /// server that is slow but working keeps talking, a hung one goes quiet.
    var secondsSinceLastMessage: Double {
        lock.lock()
        defer { lock.unlock() }
        return Double(DispatchTime.now().uptimeNanoseconds - lastMessageTime.uptimeNanoseconds) / 1e9
    }

    /// The server's process id.
    var processIdentifier: Int32 { process.processIdentifier }

    /// Sends a notification (no response expected). Returns false when the server is gone.
    @discardableResult
    func notify(_ method: String, params: Any? = nil) -> Bool {
        var message: [String: Any] = ["jsonrpc": "2.0", "method": method]
        if let params { message["params"] = params }
        return write(message)
    }

    /// Sends a request; `handler` runs on the reader thread when the response arrives (or with nil when
    /// the server goes away first). Returns the request id.
    @discardableResult
    func send(_ method: String, params: Any?, handler: @escaping ResponseHandler) -> Int {
        lock.lock()
        let id = nextID
        nextID += 1
        let isAlive = alive
        if isAlive { handlers[id] = handler }
        lock.unlock()
        var message: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": method]
        if let params { message["params"] = params }
        if !isAlive || !write(message) {
            if let pending = removeHandler(id) { pending(nil) }
        }
        return id
    }

    /// Sends a request and waits for its response until `deadline`; on timeout the server is asked to
    /// cancel it (`$/cancelRequest`) and its late answer is dropped.
    func request(_ method: String, params: Any?, deadline: DispatchTime) -> Outcome {
        let done = DispatchSemaphore(value: 0)
        let box = ResponseBox()
        let id = send(method, params: params) { response in
            box.set(response)
            done.signal()
        }
        if done.wait(timeout: deadline) == .timedOut {
            if removeHandler(id) != nil {
                notify("$/cancelRequest", params: ["id": id])
                return .timedOut
            }
            // The response raced the deadline and its handler is running: take it.
            done.wait()
        }
        guard let response = box.value else { return .disconnected }
        return .response(response)
    }

    /// Stops the server (SIGTERM) and wakes every waiter. Safe to call more than once.
    func terminate() {
        lock.lock()
        alive = false
        if !socketsClosed {
            // Shutting the sockets down (not closing them) wakes the reader thread, which closes them.
            shutdown(toServer, Int32(SHUT_RDWR))
            shutdown(fromServer, Int32(SHUT_RDWR))
        }
        lock.unlock()
        if process.isRunning { process.terminate() }
    }

    // MARK: - Reading

    private func readLoop() {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fromServer, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            buffer.append(contentsOf: chunk[0..<count])
            while let (body, consumed) = Self.nextFrame(in: buffer) {
                buffer.removeFirst(consumed)
                dispatch(body)
            }
        }
        writeLock.lock()
        lock.lock()
        alive = false
        socketsClosed = true
        close(toServer)
        close(fromServer)
        let orphans = handlers.values
        handlers.removeAll()
        lock.unlock()
        writeLock.unlock()
        for handler in orphans { handler(nil) }
        if process.isRunning { process.terminate() }
    }

    /// Splits one `Content-Length` framed message off the front of `buffer`.
    static func nextFrame(in buffer: [UInt8]) -> (body: ArraySlice<UInt8>, consumed: Int)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard buffer.count >= separator.count,
              let headerEnd = (0...(buffer.count - separator.count)).first(where: {
                  buffer[$0..<($0 + separator.count)].elementsEqual(separator)
              }) else { return nil }
        let header = String(decoding: buffer[0..<headerEnd], as: UTF8.self)
        var length: Int?
        for line in header.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                length = Int(parts[1].trimmingCharacters(in: .whitespaces))
            }
        }
        let bodyStart = headerEnd + separator.count
        guard let length, buffer.count >= bodyStart + length else { return nil }
        return (buffer[bodyStart..<(bodyStart + length)], bodyStart + length)
    }

    private func dispatch(_ body: ArraySlice<UInt8>) {
        lock.lock()
        lastMessageTime = DispatchTime.now()
        lock.unlock()
        guard let message = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return }
        let id = (message["id"] as? NSNumber)?.intValue
        if let method = message["method"] as? String {
            // A request from the server (registerCapability, workDoneProgress/create, configuration…):
            // it waits for an answer, and an empty one is always acceptable for what we use.
            if let rawID = message["id"] {
                var result: Any = NSNull()
                if method == "workspace/configuration",
                   let items = (message["params"] as? [String: Any])?["items"] as? [Any] {
                    result = items.map { _ in NSNull() }
                }
                write(["jsonrpc": "2.0", "id": rawID, "result": result])
            }
            return
        }
        if let id, let handler = removeHandler(id) { handler(message) }
    }

    private func removeHandler(_ id: Int) -> ResponseHandler? {
        lock.lock()
        defer { lock.unlock() }
        return handlers.removeValue(forKey: id)
    }

    // MARK: - Writing

    @discardableResult
    private func write(_ message: [String: Any]) -> Bool {
        guard let body = try? JSONSerialization.data(withJSONObject: message) else { return false }
        var frame = Array("Content-Length: \(body.count)\r\n\r\n".utf8)
        frame.append(contentsOf: body)
        writeLock.lock()
        defer { writeLock.unlock() }
        lock.lock()
        let closed = socketsClosed
        lock.unlock()
        if closed { return false }
        var sent = 0
        while sent < frame.count {
            let count = frame[sent...].withUnsafeBytes { Glibc.send(toServer, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return false }
            sent += count
        }
        return true
    }

    private static func makeSocketPair() throws -> (ours: Int32, theirs: Int32) {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else {
            throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno),
                          userInfo: [NSLocalizedDescriptionKey: "socketpair failed: \(String(cString: strerror(errno)))"])
        }
        return (fds[0], fds[1])
    }
}

/// Holds a response handed over from the reader thread.
private final class ResponseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String: Any]?

    var value: [String: Any]? {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func set(_ response: [String: Any]?) {
        lock.lock()
        stored = response
        lock.unlock()
    }
}
