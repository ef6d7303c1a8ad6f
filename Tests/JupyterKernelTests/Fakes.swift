import Foundation
import JupyterKernel
import JupyterProtocol

/// Records every message the core sends, in one ordered log across channels (no sockets).
final class FakeTransport: KernelTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var log: [(channel: MessageChannel, message: Message)] = []
    private var stdinQueue: [Message] = []
    /// Called with each input_request, so a test can answer it like a frontend would.
    var onInputRequest: ((Message) -> Message?)?

    var sent: [(channel: MessageChannel, message: Message)] {
        lock.lock()
        defer { lock.unlock() }
        return log
    }

    func send(_ message: Message, on channel: MessageChannel) {
        lock.lock()
        log.append((channel, message))
        let answer = channel == .stdin ? onInputRequest?(message) : nil
        if let answer { stdinQueue.append(answer) }
        lock.unlock()
    }

    func receiveStdin(timeout: Double) -> Message? {
        lock.lock()
        defer { lock.unlock() }
        return stdinQueue.isEmpty ? nil : stdinQueue.removeFirst()
    }

    /// Messages "waiting on the shell socket": what the core takes when a cell fails with stop_on_error.
    var shellQueue: [Message] = []

    func takeQueuedShellMessages() -> [IncomingMessage] {
        lock.lock()
        defer { lock.unlock() }
        let queued = shellQueue.map(IncomingMessage.message)
        shellQueue.removeAll()
        return queued
    }

    /// `channel:msg_type` (and the execution state for status) for every message, in order.
    var trace: [String] {
        sent.map { entry in
            if entry.message.msgType == "status" {
                return "iopub:status:\(entry.message.content["execution_state"]?.stringValue ?? "?")"
            }
            return "\(entry.channel.rawValue):\(entry.message.msgType)"
        }
    }

    func messages(ofType type: String) -> [Message] { sent.map(\.message).filter { $0.msgType == type } }

    func clear() {
        lock.lock()
        log.removeAll()
        lock.unlock()
    }
}

/// An interpreter whose behaviour each test scripts; it records what the core asked of it.
final class MockInterpreter: Interpreter, @unchecked Sendable {
    var languageInfo = LanguageInfo(name: "swift", version: "6.3.1", mimetype: "text/x-swift", fileExtension: ".swift",
                                    codemirrorMode: "swift", pygmentsLexer: "swift", banner: "Mock Swift",
                                    helpLinks: [(text: "Docs", url: "https://example.org/docs")])
    var onExecute: (ExecuteRequest, ExecutionContext) -> ExecutionOutcome = { _, _ in .ok(result: nil) }
    private(set) var executed: [ExecuteRequest] = []
    private(set) var interrupts = 0
    private(set) var shutdowns: [Bool] = []

    func execute(_ request: ExecuteRequest, context: ExecutionContext) -> ExecutionOutcome {
        executed.append(request)
        return onExecute(request, context)
    }
    func isComplete(_ code: String) -> CompletenessStatus { code.hasSuffix("{") ? .incomplete(indent: "    ") : .complete }
    func complete(_ code: String, cursorPos: Int) -> CompletionResult {
        CompletionResult(matches: ["print", "precondition"], cursorStart: max(0, cursorPos - 2), cursorEnd: cursorPos)
    }
    func inspect(_ code: String, cursorPos: Int, detailLevel: Int) -> MimeBundle? {
        code.isEmpty ? nil : .plainText("func print(_ items: Any...)")
    }
    func interrupt() { interrupts += 1 }
    func shutdown(restart: Bool) { shutdowns.append(restart) }
}

/// Builds client requests the way jupyter_client would.
enum Requests {
    static let client = KernelSession(id: "client-session", username: "tester")

    static func make(_ type: String, _ content: JSONValue = .object([:]), identity: String = "frontend-1") -> Message {
        client.message(type, content: content, parent: nil, identities: [Data(identity.utf8)])
    }

    static func execute(_ code: String, silent: Bool = false, storeHistory: Bool = true, allowStdin: Bool = false,
                        stopOnError: Bool = true) -> Message {
        make("execute_request", ["code": .string(code), "silent": .bool(silent), "store_history": .bool(storeHistory),
                                 "allow_stdin": .bool(allowStdin), "stop_on_error": .bool(stopOnError),
                                 "user_expressions": .object([:])])
    }
}
