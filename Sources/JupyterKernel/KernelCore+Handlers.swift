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
        if abortedExecuteIDs.remove(request.header.msgID) != nil {
            KernelLog.write("aborted execute_request \(request.header.msgID): it was queued behind a failed cell (stop_on_error)")
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
                                   allowStdin: allowStdin, comms: comms)
        output.commPoll = { [unowned self] in takeCommsWhileRunning() }
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
            if stopOnError { abortQueuedExecutes() }
        }
        if storeHistory { history.record(line: count, input: code, output: resultText) }
        reply(to: request, on: .shell, .object(replyContent))
    }

    /// Above this many UTF-8 bytes, is_complete answers `unknown` without parsing: the question comes from
    /// a console deciding whether Enter runs the input, and parsing a megabyte of `(` takes seconds of the
    /// shell thread that every other request waits for.
    static let largestCompletenessCheck = 64 * 1024

    func isComplete(_ request: Message) {
        let code = request.content["code"]?.stringValue ?? ""
        guard code.utf8.count <= Self.largestCompletenessCheck else {
            KernelLog.write("is_complete: \(code.utf8.count) bytes is over \(Self.largestCompletenessCheck); answered unknown")
            reply(to: request, on: .shell, ["status": "unknown"])
            return
        }
        let status = interpreter.isComplete(code)
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
        answering(request) {
            let code = try request.stringField("code") ?? ""
            let cursor = try cursorPosition(of: request, in: code)
            let result = interpreter.complete(code, cursorPos: cursor)
            reply(to: request, on: .shell, [
                "status": "ok", "matches": .array(result.matches.map(JSONValue.string)),
                "cursor_start": .number(Double(result.cursorStart)), "cursor_end": .number(Double(result.cursorEnd)),
                "metadata": .object(result.metadata),
            ])
        }
    }

    func inspect(_ request: Message) {
        answering(request) {
            let code = try request.stringField("code") ?? ""
            let cursor = try cursorPosition(of: request, in: code)
            let level = try request.integerField("detail_level", in: 0...1) ?? 0
            let bundle = interpreter.inspect(code, cursorPos: cursor, detailLevel: level)
            reply(to: request, on: .shell, [
                "status": "ok", "found": .bool(bundle != nil), "data": .object(bundle?.data ?? [:]),
                "metadata": .object(bundle?.metadata ?? [:]),
            ])
        }
    }

    /// `cursor_pos` (Unicode scalars into `code`): absent means the end; past the end is clamped to it.
    private func cursorPosition(of request: Message, in code: String) throws -> Int {
        let length = code.unicodeScalars.count
        return min(try request.integerField("cursor_pos", in: 0...Int.max) ?? length, length)
    }

    func history(_ request: Message) {
        answering(request) {
            let content = request.content
            let withOutput = content["output"]?.boolValue ?? false
            let entries: [HistoryEntry]
            switch try request.stringField("hist_access_type") ?? "tail" {
            case "tail":
                entries = history.tail(try request.countField("n") ?? 10)
            case "range":
                // Sessions and lines are small positive numbers; anything that does not fit an Int is refused.
                entries = history.range(session: try request.integerField("session") ?? 0,
                                        start: try request.integerField("start") ?? 1,
                                        stop: try request.integerField("stop"))
            case "search":
                entries = history.search(pattern: try request.stringField("pattern") ?? "*", n: try request.countField("n"),
                                         unique: content["unique"]?.boolValue ?? false)
            case let other:
                replyError(to: request, on: .shell, ename: "ValueError",
                           evalue: "hist_access_type must be tail, range or search, given \(other)")
                return
            }
            reply(to: request, on: .shell, ["status": "ok", "history": .array(entries.map { $0.json(output: withOutput) })])
        }
    }

    /// Runs a handler body; a field it cannot use becomes an error reply naming the field (and a log line).
    private func answering(_ request: Message, _ body: () throws -> Void) {
        do {
            try body()
        } catch let invalid as InvalidRequestField {
            KernelLog.write("\(request.msgType) \(request.header.msgID): \(invalid)")
            replyError(to: request, on: .shell, ename: "ValueError", evalue: invalid.description)
        } catch {
            KernelLog.write("\(request.msgType) \(request.header.msgID) failed: \(error)")
            replyError(to: request, on: .shell, ename: "\(type(of: error))", evalue: "\(error)")
        }
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
