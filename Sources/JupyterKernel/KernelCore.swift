import Foundation
import JupyterProtocol

/// The protocol logic of the kernel, free of sockets (xeus's split): it receives decoded messages, runs
/// the handler the dispatch table names for the message type, and sends through a `KernelTransport`.
/// `handle` is called on the shell thread for shell messages and on the control thread for control
/// messages, possibly at the same time; each handler says which channels it serves.
public final class KernelCore: @unchecked Sendable {
    /// A handler for one message type and the channels it is served on.
    struct Route {
        let channels: Set<MessageChannel>
        let run: (KernelCore, Message, MessageChannel) -> Void
    }

    let interpreter: Interpreter
    let transport: KernelTransport
    let session: KernelSession
    let history: HistoryStore
    /// The open comms (widgets): id → target and the request that opened it.
    public let comms = CommTable()
    /// Whether a widget manager showed itself (see `noteWidgetFrontend`). Shell thread.
    var widgetFrontendNoted = false
    /// Name and version reported in `kernel_info_reply`.
    let implementation: (name: String, version: String)

    /// Called once, after the shutdown reply and the final `idle` are sent; the server then stops.
    /// Runs on the thread that handled `shutdown_request`.
    public var onShutdown: ((_ restart: Bool) -> Void)?

    // Shell-thread state.
    var executionCount = 0
    /// Shell messages taken off the socket when a cell failed with `stop_on_error`, handled next.
    var queuedShell: [IncomingMessage] = []
    /// The ids of the execute_requests among them: these, and only these, are answered `aborted`.
    var abortedExecuteIDs: Set<String> = []

    // Shared between threads, under `stateLock`.
    private let stateLock = NSLock()
    private var currentOutput: RequestOutput?
    private var shuttingDown = false
    private var pendingShutdown: Bool?

    /// message type → handler. Types not listed are logged; `*_request` ones get an error reply.
    let routes: [String: Route] = [
        "kernel_info_request": Route(channels: [.shell, .control]) { core, message, channel in core.kernelInfo(message, on: channel) },
        "execute_request": Route(channels: [.shell]) { core, message, _ in core.execute(message) },
        "is_complete_request": Route(channels: [.shell]) { core, message, _ in core.isComplete(message) },
        "complete_request": Route(channels: [.shell]) { core, message, _ in core.complete(message) },
        "inspect_request": Route(channels: [.shell]) { core, message, _ in core.inspect(message) },
        "history_request": Route(channels: [.shell]) { core, message, _ in core.history(message) },
        "comm_info_request": Route(channels: [.shell]) { core, message, _ in core.commInfo(message) },
        "comm_open": Route(channels: [.shell]) { core, message, _ in core.commOpen(message) },
        "comm_msg": Route(channels: [.shell]) { core, message, _ in core.commMessage(message, closing: false) },
        "comm_close": Route(channels: [.shell]) { core, message, _ in core.commMessage(message, closing: true) },
        "interrupt_request": Route(channels: [.control]) { core, message, _ in core.interrupt(message) },
        "shutdown_request": Route(channels: [.shell, .control]) { core, message, channel in core.shutdown(message, on: channel) },
    ]

    /// A core answering through `transport`, running code with `interpreter`, recording into `history`.
    public init(interpreter: Interpreter, transport: KernelTransport, history: HistoryStore,
                session: KernelSession = KernelSession(), implementation: (name: String, version: String) =
                    (name: "swift-lstm-kernel", version: "0.1.0")) {
        self.interpreter = interpreter
        self.transport = transport
        self.history = history
        self.session = session
        self.implementation = implementation
    }

    /// Handles one request: `status: busy`, the handler (its outputs, then its reply), `status: idle`.
    public func handle(_ message: Message, on channel: MessageChannel) {
        stateLock.lock()
        let stopping = shuttingDown
        stateLock.unlock()
        if stopping {
            KernelLog.write("ignored \(message.msgType): the kernel is shutting down")
            return
        }
        publishStatus("busy", parent: message)
        dispatch(message, on: channel)
        publishStatus("idle", parent: message)
        if let restart = takePendingShutdown() {
            interpreter.shutdown(restart: restart)
            onShutdown?(restart)
        }
    }

    private func dispatch(_ message: Message, on channel: MessageChannel) {
        guard let route = routes[message.msgType] else {
            KernelLog.write("unknown message type \(message.msgType) on \(channel.rawValue)")
            if message.msgType.hasSuffix("_request") {
                replyError(to: message, on: channel, ename: "UnknownMessageType",
                           evalue: "this kernel does not handle \(message.msgType)")
            }
            return
        }
        guard route.channels.contains(channel) else {
            KernelLog.write("\(message.msgType) is not served on \(channel.rawValue)")
            if message.msgType.hasSuffix("_request") {
                replyError(to: message, on: channel, ename: "WrongChannel",
                           evalue: "\(message.msgType) is not served on the \(channel.rawValue) channel")
            }
            return
        }
        route.run(self, message, channel)
    }

    /// Handles a received message: a decoded one as `handle(_:on:)` does; an unreadable one gets busy, an
    /// error reply naming what could not be read (for a `*_request`), and idle.
    public func handle(_ incoming: IncomingMessage, on channel: MessageChannel) {
        switch incoming {
        case .message(let message):
            handle(message, on: channel)
        case .unreadable(let unreadable):
            let request = Message(identities: unreadable.identities, header: unreadable.header, parentHeader: .object([:]),
                                  metadata: [:], content: .object([:]), buffers: [])
            guard request.msgType.hasSuffix("_request") else { return }
            publishStatus("busy", parent: request)
            replyError(to: request, on: channel, ename: "InvalidMessage", evalue: unreadable.reason)
            publishStatus("idle", parent: request)
        }
    }

    /// The next shell message taken off the socket after a failed cell, or nil when none is left. Called
    /// on the shell thread before it receives from the socket again.
    public func nextQueuedShellMessage() -> IncomingMessage? {
        queuedShell.isEmpty ? nil : queuedShell.removeFirst()
    }

    /// After a cell failed with `stop_on_error` and before its reply is sent: takes what is queued on the
    /// shell socket and marks the execute_requests among it to be aborted. A request the client sends after
    /// it has seen the reply cannot be in the queue yet, so it runs. Called on the shell thread.
    func abortQueuedExecutes() {
        let queued = transport.takeQueuedShellMessages()
        // Messages taken earlier while the cell ran (`takeCommsWhileRunning`) are queued too.
        for case .message(let message) in queuedShell + queued where message.msgType == "execute_request" {
            abortedExecuteIDs.insert(message.header.msgID)
        }
        queuedShell.append(contentsOf: queued)
    }

    /// Stops the kernel without a shutdown_request (SIGTERM, or the launching process died): the
    /// interpreter is shut down and `onShutdown` runs, once. Any thread.
    public func stopWithoutRequest(reason: String) {
        guard beginShutdown(restart: false), takePendingShutdown() != nil else { return }
        KernelLog.write("stopping: \(reason)")
        interpreter.shutdown(restart: false)
        onShutdown?(false)
    }

    /// Interrupts the running execution (SIGINT, or interrupt_request). Any thread.
    public func interruptExecution() {
        stateLock.lock()
        let output = currentOutput
        stateLock.unlock()
        output?.cancelInput()
        interpreter.interrupt()
    }

    // MARK: - Sending

    func publishStatus(_ state: String, parent: Message) {
        publish("status", ["execution_state": .string(state)], parent: parent)
    }

    func publish(_ type: String, _ content: JSONValue, parent: Message) {
        transport.send(session.broadcast(type, content: content, parent: parent), on: .iopub)
    }

    func reply(to request: Message, on channel: MessageChannel, _ content: JSONValue,
               metadata: [String: JSONValue] = [:]) {
        let type = Self.replyType(of: request.msgType)
        transport.send(session.message(type, content: content, parent: request, identities: request.identities,
                                       metadata: metadata), on: channel)
    }

    func replyError(to request: Message, on channel: MessageChannel, ename: String, evalue: String) {
        reply(to: request, on: channel, ["status": "error", "ename": .string(ename), "evalue": .string(evalue),
                                         "traceback": []])
    }

    /// `foo_request` → `foo_reply`.
    static func replyType(of requestType: String) -> String {
        requestType.hasSuffix("_request") ? String(requestType.dropLast("_request".count)) + "_reply" : requestType + "_reply"
    }

    // MARK: - Execution state shared with the control thread

    func beginExecution(_ output: RequestOutput) {
        stateLock.lock()
        currentOutput = output
        stateLock.unlock()
    }

    func endExecution() {
        stateLock.lock()
        currentOutput = nil
        stateLock.unlock()
    }

    /// Marks the kernel as stopping (later requests are ignored); the shutdown itself runs after the
    /// final `idle`. Returns false when another thread already did.
    func beginShutdown(restart: Bool) -> Bool {
        stateLock.lock()
        defer { stateLock.unlock() }
        if shuttingDown { return false }
        shuttingDown = true
        pendingShutdown = restart
        return true
    }

    private func takePendingShutdown() -> Bool? {
        stateLock.lock()
        defer { stateLock.unlock() }
        let restart = pendingShutdown
        pendingShutdown = nil
        return restart
    }
}
