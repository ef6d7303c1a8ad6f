import Foundation
import JupyterProtocol

/// The handlers of the dispatch table. Each sends its outputs and its reply; `handle` wraps them in
/// busy/idle.
extension KernelCore {
    func kernelInfo(_ request: Message, on channel: MessageChannel) {
        let info = interpreter.languageInfo
        let languageInfo: JSONValue = [
            "name": .string(info.name), "version": .string(info.version), "mimetype": .string(info.mimetype),
            "file_extension": .string(info.fileExtension), "codemirror_mode": .string(info.codemirrorMode),
            "pygments_lexer": .string(info.pygmentsLexer),
        ]
        let links = info.helpLinks.map { JSONValue.object(["text": .string($0.text), "url": .string($0.url)]) }
        reply(to: request, on: channel, [
            "status": "ok", "protocol_version": .string(jupyterProtocolVersion),
            "implementation": .string(implementation.name), "implementation_version": .string(implementation.version),
            "language_info": languageInfo, "banner": .string(info.banner), "help_links": .array(links),
            "debugger": false,
        ])
    }

    func execute(_ request: Message) {
        let content = request.content
        if aborting {
            KernelLog.write("aborted execute_request \(request.header.msgID): an earlier cell failed (stop_on_error)")
            reply(to: request, on: .shell, ["status": "aborted"], metadata: ["status": "aborted"])
            return
        }
        let code = content["code"]?.stringValue ?? ""
        let silent = content["silent"]?.boolValue ?? false
        // The protocol says silent implies store_history false.
        let storeHistory = silent ? false : (content["store_history"]?.boolValue ?? true)
        let allowStdin = content["allow_stdin"]?.boolValue ?? false
        let stopOnError = content["stop_on_error"]?.boolValue ?? true
        if storeHistory { executionCount += 1 }
        let count = executionCount
        if !silent {
            publish("execute_input", ["code": .string(code), "execution_count": .number(Double(count))], parent: request)
        }

        let output = RequestOutput(request: request, session: session, transport: transport, silent: silent,
                                   allowStdin: allowStdin)
        beginExecution(output)
        let outcome = interpreter.execute(
            ExecuteRequest(code: code, silent: silent, storeHistory: storeHistory, allowStdin: allowStdin,
                           stopOnError: stopOnError, executionCount: count),
            context: output)
        output.close()
        endExecution()

        var resultText: String?
        var replyContent: [String: JSONValue] = [
            "execution_count": .number(Double(count)), "user_expressions": .object([:]), "payload": [],
        ]
        switch outcome {
        case .ok(let result):
            replyContent["status"] = "ok"
            if let result {
                resultText = result.data["text/plain"]?.stringValue
                if !silent {
                    publish("execute_result", ["execution_count": .number(Double(count)), "data": .object(result.data),
                                               "metadata": .object(result.metadata)], parent: request)
                }
            }
        case .error(let error):
            let fields: [String: JSONValue] = [
                "ename": .string(error.ename), "evalue": .string(error.evalue),
                "traceback": .array(error.traceback.map(JSONValue.string)),
            ]
            if !silent { publish("error", .object(fields), parent: request) }
            replyContent.merge(fields) { _, new in new }
            replyContent["status"] = "error"
            if stopOnError { aborting = true }
        }
        if storeHistory { history.record(line: count, input: code, output: resultText) }
        reply(to: request, on: .shell, .object(replyContent))
    }

    func isComplete(_ request: Message) {
        let status = interpreter.isComplete(request.content["code"]?.stringValue ?? "")
        let content: JSONValue
        switch status {
        case .complete: content = ["status": "complete"]
        case .incomplete(let indent): content = ["status": "incomplete", "indent": .string(indent)]
        case .invalid: content = ["status": "invalid"]
        case .unknown: content = ["status": "unknown"]
        }
        reply(to: request, on: .shell, content)
    }

    func complete(_ request: Message) {
        let code = request.content["code"]?.stringValue ?? ""
        let cursor = request.content["cursor_pos"]?.intValue ?? code.unicodeScalars.count
        let result = interpreter.complete(code, cursorPos: cursor)
        reply(to: request, on: .shell, [
            "status": "ok", "matches": .array(result.matches.map(JSONValue.string)),
            "cursor_start": .number(Double(result.cursorStart)), "cursor_end": .number(Double(result.cursorEnd)),
            "metadata": .object(result.metadata),
        ])
    }

    func inspect(_ request: Message) {
        let code = request.content["code"]?.stringValue ?? ""
        let cursor = request.content["cursor_pos"]?.intValue ?? code.unicodeScalars.count
        let level = request.content["detail_level"]?.intValue ?? 0
        let bundle = interpreter.inspect(code, cursorPos: cursor, detailLevel: level)
        reply(to: request, on: .shell, [
            "status": "ok", "found": .bool(bundle != nil), "data": .object(bundle?.data ?? [:]),
            "metadata": .object(bundle?.metadata ?? [:]),
        ])
    }

    func history(_ request: Message) {
        let content = request.content
        let withOutput = content["output"]?.boolValue ?? false
        let entries: [HistoryEntry]
        switch content["hist_access_type"]?.stringValue ?? "tail" {
        case "tail":
            entries = history.tail(content["n"]?.intValue ?? 10)
        case "range":
            entries = history.range(session: content["session"]?.intValue ?? 0, start: content["start"]?.intValue ?? 1,
                                    stop: content["stop"]?.intValue)
        case "search":
            entries = history.search(pattern: content["pattern"]?.stringValue ?? "*", n: content["n"]?.intValue,
                                     unique: content["unique"]?.boolValue ?? false)
        case let other:
            replyError(to: request, on: .shell, ename: "ValueError",
                       evalue: "hist_access_type must be tail, range or search, given \(other)")
            return
        }
        reply(to: request, on: .shell, ["status": "ok", "history": .array(entries.map { $0.json(output: withOutput) })])
    }

    func commInfo(_ request: Message) {
        reply(to: request, on: .shell, ["status": "ok", "comms": .object([:])])
    }

    /// No comm targets are registered, so every comm is closed at once (as ipykernel does for an unknown
    /// target), which tells the frontend its widget cannot work here.
    func commOpen(_ request: Message) {
        let commID = request.content["comm_id"] ?? .string("")
        let target = request.content["target_name"]?.stringValue ?? ""
        KernelLog.write("no comm target \"\(target)\": closing comm \(commID.stringValue ?? "")")
        publish("comm_close", ["comm_id": commID, "data": .object([:])], parent: request)
    }

    func ignoreComm(_ message: Message) {
        KernelLog.write("ignored \(message.msgType): this kernel opens no comms")
    }

    func interrupt(_ request: Message) {
        interruptExecution()
        reply(to: request, on: .control, ["status": "ok"])
    }

    func shutdown(_ request: Message, on channel: MessageChannel) {
        let restart = request.content["restart"]?.boolValue ?? false
        _ = beginShutdown(restart: restart)
        reply(to: request, on: channel, ["status": "ok", "restart": .bool(restart)])
    }
}
