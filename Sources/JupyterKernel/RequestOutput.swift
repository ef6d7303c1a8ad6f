import Foundation
import JupyterProtocol

/// The `ExecutionContext` handed to one execution: it publishes on iopub with the request as parent and
/// asks for input on stdin. It closes when `execute` returns, so nothing can be published after the
/// reply (late calls are logged and dropped). Every method may be called from any thread.
final class RequestOutput: ExecutionContext, @unchecked Sendable {
    private let request: Message
    private let session: KernelSession
    private let transport: KernelTransport
    private let silent: Bool
    private let allowStdin: Bool
    private let lock = NSLock()
    private var isOpen = true
    private var inputCancelled = false
    /// The kernel's comm table, updated as the worker opens and closes comms; nil outside a kernel core.
    private let comms: CommTable?
    /// The parent of comm messages published through this output (the frontend's `comm_msg` being
    /// handled); the request itself when nil.
    private let commParent: Message?
    /// Takes the comm messages that arrived while the cell runs (set by the core for executions).
    var commPoll: (() -> [CommDelivery])?

    init(request: Message, session: KernelSession, transport: KernelTransport, silent: Bool, allowStdin: Bool,
         comms: CommTable? = nil, commParent: Message? = nil) {
        self.comms = comms
        self.commParent = commParent
        self.request = request
        self.session = session
        self.transport = transport
        self.silent = silent
        self.allowStdin = allowStdin
    }

    /// Stops publishing; called by the core on the shell thread when `execute` has returned.
    func close() {
        lock.lock()
        isOpen = false
        inputCancelled = true
        lock.unlock()
    }

    /// Makes a pending `requestInput` return nil (interrupt). Called on the control or signal thread.
    func cancelInput() {
        lock.lock()
        inputCancelled = true
        lock.unlock()
    }

    private func publish(_ type: String, _ content: JSONValue) {
        // The lock is held while sending so that close() cannot slip between the check and the send.
        lock.lock()
        defer { lock.unlock() }
        guard isOpen else {
            KernelLog.write("dropped \(type) published after its execute_reply")
            return
        }
        guard !silent else { return }
        transport.send(session.broadcast(type, content: content, parent: request), on: .iopub)
    }

    func publishStream(_ name: StreamName, _ text: String) {
        guard !text.isEmpty else { return }
        publish("stream", ["name": .string(name.rawValue), "text": .string(text)])
    }

    func publishDisplayData(_ bundle: MimeBundle, displayID: String?) {
        publish("display_data", Self.content(bundle, displayID: displayID))
    }

    func publishUpdateDisplayData(_ bundle: MimeBundle, displayID: String) {
        publish("update_display_data", Self.content(bundle, displayID: displayID))
    }

    func publishClearOutput(wait: Bool) {
        publish("clear_output", ["wait": .bool(wait)])
    }

    func requestInput(prompt: String, password: Bool) -> String? {
        lock.lock()
        let usable = allowStdin && isOpen && !inputCancelled
        lock.unlock()
        guard usable else { return nil }
        let ask = session.message("input_request", content: ["prompt": .string(prompt), "password": .bool(password)],
                                  parent: request, identities: request.identities)
        transport.send(ask, on: .stdin)
        while true {
            lock.lock()
            let cancelled = inputCancelled
            lock.unlock()
            if cancelled { return nil }
            guard let answer = transport.receiveStdin(timeout: 0.1) else { continue }
            guard answer.msgType == "input_reply" else {
                KernelLog.write("ignored \(answer.msgType) on stdin while waiting for input_reply")
                continue
            }
            return answer.content["value"]?.stringValue ?? ""
        }
    }

    /// Publishes as this request, but stays open after the reply and never asks for input.
    func afterReply() -> ExecutionContext {
        RequestOutput(request: request, session: session, transport: transport, silent: silent, allowStdin: false,
                      comms: comms, commParent: commParent)
    }

    func takeCommDeliveries() -> [CommDelivery] {
        commPoll?() ?? []
    }

    /// Publishes a comm message from the worker (also for silent requests and after the reply: a widget
    /// must stay in sync) and keeps the comm table current.
    func publishComm(_ type: String, content: JSONValue) {
        guard let id = content["comm_id"]?.stringValue, !id.isEmpty else {
            KernelLog.write("ignored \(type) from the worker without a comm_id")
            return
        }
        switch type {
        case "comm_open":
            comms?.open(id, target: content["target_name"]?.stringValue ?? "", origin: request)
        case "comm_close":
            comms?.close(id)
        default:
            break
        }
        // A record's `metadata` is the message's metadata (where ipywidgets reads the protocol version).
        var fields = content.objectValue ?? [:]
        let metadata = fields.removeValue(forKey: "metadata")?.objectValue ?? [:]
        transport.send(session.message(type, content: .object(fields), parent: commParent ?? request,
                                       identities: [Data("kernel.\(session.id).\(type)".utf8)], metadata: metadata),
                       on: .iopub)
    }

    func publishForComm(_ commID: String, type: String, content: JSONValue) {
        guard let origin = comms?.entry(commID)?.origin else {
            KernelLog.write("dropped \(type) of a handler of comm \(commID), which is not open")
            return
        }
        transport.send(session.broadcast(type, content: content, parent: origin), on: .iopub)
    }

    static func content(_ bundle: MimeBundle, displayID: String?) -> JSONValue {
        var content: [String: JSONValue] = ["data": .object(bundle.data), "metadata": .object(bundle.metadata)]
        content["transient"] = displayID.map { ["display_id": .string($0)] } ?? .object([:])
        return .object(content)
    }
}
