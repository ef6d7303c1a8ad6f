import Foundation
import XCTest
@testable import JupyterKernel
import JupyterProtocol

/// The dispatch table driven through a fake transport and a mock interpreter: what a frontend sees, in order.
final class KernelCoreTests: XCTestCase {
    var transport: FakeTransport!
    var interpreter: MockInterpreter!
    var core: KernelCore!

    override func setUp() {
        transport = FakeTransport()
        interpreter = MockInterpreter()
        core = KernelCore(interpreter: interpreter, transport: transport, history: HistoryStore(fileURL: nil))
    }

    func testKernelInfoIsWrappedInBusyIdleOnShellAndControl() {
        for channel in [MessageChannel.shell, .control] {
            transport.clear()
            let request = Requests.make("kernel_info_request")
            core.handle(request, on: channel)
            XCTAssertEqual(transport.trace, ["iopub:status:busy", "\(channel.rawValue):kernel_info_reply", "iopub:status:idle"])
            for (_, message) in transport.sent {
                XCTAssertEqual(message.parentMessageID, request.header.msgID)
            }
            let reply = transport.messages(ofType: "kernel_info_reply")[0]
            XCTAssertEqual(reply.identities, request.identities, "a ROUTER reply must go back to the sender")
            XCTAssertEqual(reply.content["language_info"]?["mimetype"], "text/x-swift")
            XCTAssertEqual(reply.content["language_info"]?["file_extension"], ".swift")
            XCTAssertEqual(reply.content["implementation"], "swift-lstm-kernel")
            XCTAssertEqual(reply.content["banner"], "Mock Swift")
            XCTAssertEqual(reply.content["help_links"], [["text": "Docs", "url": "https://example.org/docs"]])
        }
    }

    func testExecuteOutputsAllComeBeforeTheReplyAndIdleComesLast() {
        interpreter.onExecute = { request, context in
            context.publishStream(.stdout, "epoch 1\n")
            context.publishStream(.stdout, "")  // empty text publishes nothing
            context.publishDisplayData(.plainText("plot"), displayID: "d1")
            context.publishUpdateDisplayData(.plainText("plot 2"), displayID: "d1")
            context.publishStream(.stderr, "warning\n")
            return .ok(result: .plainText("42"))
        }
        core.handle(Requests.execute("1 + 41"), on: .shell)
        XCTAssertEqual(transport.trace, [
            "iopub:status:busy", "iopub:execute_input", "iopub:stream", "iopub:display_data",
            "iopub:update_display_data", "iopub:stream", "iopub:execute_result", "shell:execute_reply",
            "iopub:status:idle",
        ])
        let reply = transport.messages(ofType: "execute_reply")[0]
        XCTAssertEqual(reply.content["status"], "ok")
        XCTAssertEqual(reply.content["execution_count"], 1)
        XCTAssertEqual(reply.content["user_expressions"], .object([:]))
        XCTAssertEqual(transport.messages(ofType: "execute_result")[0].content["data"], ["text/plain": "42"])
        XCTAssertEqual(transport.messages(ofType: "display_data")[0].content["transient"], ["display_id": "d1"])
        XCTAssertEqual(transport.messages(ofType: "execute_input")[0].content["code"], "1 + 41")
    }

    func testErrorIsOneOutputAndTheReplyCarriesIt() {
        interpreter.onExecute = { _, _ in
            .error(ExecutionError(ename: "CompileError", evalue: "cannot find 'y'", traceback: ["<cell 1>:1:1: error"]))
        }
        core.handle(Requests.execute("y"), on: .shell)
        XCTAssertEqual(transport.trace, ["iopub:status:busy", "iopub:execute_input", "iopub:error", "shell:execute_reply",
                                         "iopub:status:idle"])
        let reply = transport.messages(ofType: "execute_reply")[0].content
        XCTAssertEqual(reply["status"], "error")
        XCTAssertEqual(reply["ename"], "CompileError")
        XCTAssertEqual(reply["traceback"], ["<cell 1>:1:1: error"])
    }

    /// Feeds the core as the server's shell loop does: queued messages the core took first.
    private func serveShell(_ message: Message) {
        core.handle(message, on: .shell)
        while let queued = core.nextQueuedShellMessage() { core.handle(queued, on: .shell) }
    }

    func testStopOnErrorAbortsTheExecutesQueuedWhenTheErrorReplyWentOut() {
        interpreter.onExecute = { request, _ in
            request.code == "fail" ? .error(ExecutionError(ename: "E", evalue: "boom", traceback: [])) : .ok(result: nil)
        }
        // Three requests were already waiting behind the failing cell when it failed.
        transport.shellQueue = [Requests.execute("queued 1"), Requests.make("kernel_info_request"), Requests.execute("queued 2")]
        serveShell(Requests.execute("fail"))
        XCTAssertEqual(interpreter.executed.map(\.code), ["fail"], "queued executes must not run")
        let statuses = transport.messages(ofType: "execute_reply").map { $0.content["status"]?.stringValue }
        XCTAssertEqual(statuses, ["error", "aborted", "aborted"])
        XCTAssertEqual(transport.messages(ofType: "kernel_info_reply").count, 1, "other requests are still served")
        XCTAssertEqual(transport.messages(ofType: "status").count, 8, "aborted requests still get busy/idle")
        let order = transport.trace.filter { $0.hasPrefix("shell:") }
        XCTAssertEqual(order, ["shell:execute_reply", "shell:execute_reply", "shell:kernel_info_reply", "shell:execute_reply"],
                       "queued requests are answered in their arrival order, after the failing cell's reply")

        // A request sent after the client saw the error reply was not in the queue: it runs.
        serveShell(Requests.execute("after"))
        XCTAssertEqual(interpreter.executed.map(\.code), ["fail", "after"])
        XCTAssertEqual(transport.messages(ofType: "execute_reply").last?.content["status"], "ok")
    }

    func testAnExecuteSentRightAfterTheErrorReplyIsNeverAborted() {
        interpreter.onExecute = { request, _ in
            request.code == "fail" ? .error(ExecutionError(ename: "E", evalue: "boom", traceback: [])) : .ok(result: nil)
        }
        for round in 0..<20 {
            serveShell(Requests.execute("fail"))
            serveShell(Requests.execute("next \(round)"))
        }
        let statuses = transport.messages(ofType: "execute_reply").map { $0.content["status"]?.stringValue ?? "" }
        XCTAssertFalse(statuses.contains("aborted"), "nothing was queued, so nothing is aborted: \(statuses)")
        XCTAssertEqual(interpreter.executed.count, 40)
    }

    func testNumbersNoIntHoldsGetAnErrorReplyNamingTheField() {
        let cases: [(String, JSONValue, String)] = [
            ("inspect_request", ["code": "print", "cursor_pos": 1e300], "cursor_pos"),
            ("complete_request", ["code": "pri", "cursor_pos": -1e300], "cursor_pos"),
            ("complete_request", ["code": "pri", "cursor_pos": 1.5], "cursor_pos"),
            ("complete_request", ["code": "pri", "cursor_pos": "2"], "cursor_pos"),
            ("inspect_request", ["code": "print", "cursor_pos": 2, "detail_level": 1e19], "detail_level"),
            ("history_request", ["hist_access_type": "range", "session": 1e300, "start": 1], "session"),
            ("history_request", ["hist_access_type": "tail", "n": .number(.nan)], "n"),
            ("complete_request", ["code": 7], "code"),
        ]
        for (type, content, field) in cases {
            transport.clear()
            core.handle(Requests.make(type, content), on: .shell)
            let reply = transport.messages(ofType: KernelCore.replyType(of: type)).last?.content
            XCTAssertEqual(reply?["status"], "error", "\(type) \(content)")
            XCTAssertTrue(reply?["evalue"]?.stringValue?.hasPrefix(field + " must be") ?? false, "\(reply?["evalue"] ?? .null)")
            XCTAssertEqual(transport.trace.last, "iopub:status:idle")
        }
    }

    func testHugeButWholeCountsAndCursorsPastTheEndAreAnswered() {
        core.handle(Requests.make("history_request", ["hist_access_type": "tail", "n": 1e19]), on: .shell)
        XCTAssertEqual(transport.messages(ofType: "history_reply").last?.content["status"], "ok")
        core.handle(Requests.make("complete_request", ["code": "pri", "cursor_pos": 1_000_000]), on: .shell)
        XCTAssertEqual(transport.messages(ofType: "complete_reply").last?.content["status"], "ok")
        XCTAssertEqual(transport.messages(ofType: "complete_reply").last?.content["cursor_end"], 3, "clamped to the code's end")
    }

    func testAnUnreadableBodyIsAnsweredWithAnErrorReply() {
        let header = Header(session: "s", username: "u", msgType: "execute_request")
        core.handle(.unreadable(UnreadableMessage(identities: [Data("id".utf8)], header: header,
                                                  reason: "the content frame is not a JSON object")), on: .shell)
        let reply = transport.messages(ofType: "execute_reply").last
        XCTAssertEqual(reply?.content["status"], "error")
        XCTAssertEqual(reply?.content["evalue"], "the content frame is not a JSON object")
        XCTAssertEqual(reply?.identities, [Data("id".utf8)])
        XCTAssertEqual(transport.trace, ["iopub:status:busy", "shell:execute_reply", "iopub:status:idle"])
    }

    func testAHugeIsCompleteIsAnsweredUnknownWithoutParsing() {
        core.handle(Requests.make("is_complete_request", ["code": .string(String(repeating: "(", count: 1 << 20))]), on: .shell)
        XCTAssertEqual(transport.messages(ofType: "is_complete_reply").last?.content["status"], "unknown")
    }

    func testWithoutStopOnErrorTheNextExecuteRuns() {
        interpreter.onExecute = { _, _ in .error(ExecutionError(ename: "E", evalue: "boom", traceback: [])) }
        core.handle(Requests.execute("fail", stopOnError: false), on: .shell)
        core.handle(Requests.execute("next"), on: .shell)
        XCTAssertEqual(interpreter.executed.map(\.code), ["fail", "next"])
    }

    func testSilentPublishesNothingAndDoesNotCount() {
        interpreter.onExecute = { _, context in
            context.publishStream(.stdout, "hidden")
            return .ok(result: .plainText("hidden"))
        }
        core.handle(Requests.execute("a"), on: .shell)
        transport.clear()
        core.handle(Requests.execute("b", silent: true), on: .shell)
        XCTAssertEqual(transport.trace, ["iopub:status:busy", "shell:execute_reply", "iopub:status:idle"])
        XCTAssertEqual(transport.messages(ofType: "execute_reply")[0].content["execution_count"], 1)
        XCTAssertFalse(interpreter.executed[1].storeHistory, "silent implies store_history false")
        core.handle(Requests.execute("c", storeHistory: false), on: .shell)
        core.handle(Requests.execute("d"), on: .shell)
        XCTAssertEqual(interpreter.executed.map(\.executionCount), [1, 1, 1, 2])
    }

    func testOutputPublishedAfterExecuteReturnsIsDropped() {
        var leaked: ExecutionContext?
        interpreter.onExecute = { _, context in
            leaked = context
            return .ok(result: nil)
        }
        core.handle(Requests.execute("x"), on: .shell)
        let count = transport.sent.count
        leaked?.publishStream(.stdout, "too late")
        XCTAssertEqual(transport.sent.count, count)
    }

    func testInputRequestGoesToTheShellSenderAndReturnsTheAnswer() {
        transport.onInputRequest = { request in
            Requests.client.message("input_reply", content: ["value": "Ada"], parent: request)
        }
        var answers: [String?] = []
        interpreter.onExecute = { _, context in
            answers.append(context.requestInput(prompt: "name? ", password: false))
            return .ok(result: nil)
        }
        let request = Requests.execute("readLine()", allowStdin: true)
        core.handle(request, on: .shell)
        XCTAssertEqual(answers, ["Ada"])
        let ask = transport.messages(ofType: "input_request")[0]
        XCTAssertEqual(ask.identities, request.identities)
        XCTAssertEqual(ask.content["prompt"], "name? ")
        XCTAssertEqual(ask.parentMessageID, request.header.msgID)

        core.handle(Requests.execute("readLine()", allowStdin: false), on: .shell)
        XCTAssertEqual(answers, ["Ada", nil], "no stdin when the request does not allow it")
        XCTAssertEqual(transport.messages(ofType: "input_request").count, 1)
    }

    func testCompletenessCompletionAndInspection() {
        core.handle(Requests.make("is_complete_request", ["code": "func f() {"]), on: .shell)
        XCTAssertEqual(transport.messages(ofType: "is_complete_reply")[0].content, ["status": "incomplete", "indent": "    "])
        core.handle(Requests.make("complete_request", ["code": "pr", "cursor_pos": 2]), on: .shell)
        let completion = transport.messages(ofType: "complete_reply")[0].content
        XCTAssertEqual(completion["matches"], ["print", "precondition"])
        XCTAssertEqual(completion["cursor_start"], 0)
        XCTAssertEqual(completion["cursor_end"], 2)
        core.handle(Requests.make("inspect_request", ["code": "print", "cursor_pos": 5, "detail_level": 0]), on: .shell)
        XCTAssertEqual(transport.messages(ofType: "inspect_reply")[0].content["found"], true)
    }

    func testUnknownTypesAreLoggedAndRequestsGetAnErrorReply() {
        core.handle(Requests.make("frobnicate_request"), on: .shell)
        core.handle(Requests.make("frobnicate_notice"), on: .shell)
        XCTAssertEqual(transport.trace, ["iopub:status:busy", "shell:frobnicate_reply", "iopub:status:idle",
                                         "iopub:status:busy", "iopub:status:idle"])
        XCTAssertEqual(transport.messages(ofType: "frobnicate_reply")[0].content["status"], "error")
        core.handle(Requests.make("execute_request", ["code": "x"]), on: .control)
        XCTAssertEqual(transport.messages(ofType: "execute_reply")[0].content["ename"], "WrongChannel")
        XCTAssertTrue(interpreter.executed.isEmpty)
    }

    func testCommOpenIsAnsweredWithCommCloseAndCommInfoIsEmpty() {
        core.handle(Requests.make("comm_open", ["comm_id": "c-1", "target_name": "jupyter.widget", "data": [:]]), on: .shell)
        XCTAssertEqual(transport.trace, ["iopub:status:busy", "iopub:comm_close", "iopub:status:idle"])
        XCTAssertEqual(transport.messages(ofType: "comm_close")[0].content["comm_id"], "c-1")
        core.handle(Requests.make("comm_info_request"), on: .shell)
        XCTAssertEqual(transport.messages(ofType: "comm_info_reply")[0].content, ["status": "ok", "comms": [:]])
    }

    func testInterruptCallsTheInterpreterAndReplies() {
        core.handle(Requests.make("interrupt_request"), on: .control)
        XCTAssertEqual(interpreter.interrupts, 1)
        XCTAssertEqual(transport.trace, ["iopub:status:busy", "control:interrupt_reply", "iopub:status:idle"])
    }

    func testShutdownRepliesThenIdlesThenStopsAndIgnoresLaterRequests() {
        var stopped: [Bool] = []
        var traceAtStop: [String] = []
        core.onShutdown = { [unowned self] restart in
            stopped.append(restart)
            traceAtStop = transport.trace
        }
        core.handle(Requests.make("shutdown_request", ["restart": true]), on: .control)
        XCTAssertEqual(traceAtStop, ["iopub:status:busy", "control:shutdown_reply", "iopub:status:idle"])
        XCTAssertEqual(transport.messages(ofType: "shutdown_reply")[0].content, ["status": "ok", "restart": true])
        XCTAssertEqual(interpreter.shutdowns, [true])
        XCTAssertEqual(stopped, [true])
        core.handle(Requests.make("kernel_info_request"), on: .shell)
        XCTAssertEqual(transport.sent.count, 3, "nothing is served once shutdown began")
    }

    func testStopWithoutRequestShutsTheInterpreterDownOnce() {
        var stops = 0
        core.onShutdown = { _ in stops += 1 }
        core.stopWithoutRequest(reason: "SIGTERM")
        core.stopWithoutRequest(reason: "the parent process exited")
        core.handle(Requests.make("shutdown_request"), on: .control)
        XCTAssertEqual(interpreter.shutdowns, [false])
        XCTAssertEqual(stops, 1)
        XCTAssertTrue(transport.sent.isEmpty, "no request is served once the kernel is stopping")
    }

    func testReplyTypeNames() {
        XCTAssertEqual(KernelCore.replyType(of: "execute_request"), "execute_reply")
        XCTAssertEqual(KernelCore.replyType(of: "comm_info_request"), "comm_info_reply")
    }
}
