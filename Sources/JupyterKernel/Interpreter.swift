import JupyterProtocol

/// A MIME bundle: `data` keyed by MIME type (`text/plain`, `text/html`, `image/svg+xml`, …) plus metadata.
public struct MimeBundle: Equatable, Sendable {
    public var data: [String: JSONValue]
    public var metadata: [String: JSONValue]
    public init(data: [String: JSONValue], metadata: [String: JSONValue] = [:]) {
        self.data = data
        self.metadata = metadata
    }
    /// A bundle holding only `text/plain`.
    public static func plainText(_ text: String) -> MimeBundle { MimeBundle(data: ["text/plain": .string(text)]) }
}

/// An error to be published as one iopub `error` message and an `execute_reply` with status "error".
public struct ExecutionError: Error, Equatable, Sendable {
    public var ename: String
    public var evalue: String
    /// Lines shown to the user (may carry ANSI colour codes, as ipykernel's do).
    public var traceback: [String]
    public init(ename: String, evalue: String, traceback: [String]) {
        self.ename = ename
        self.evalue = evalue
        self.traceback = traceback
    }
}

/// What an execution produced, besides the output it already published through its context.
public enum ExecutionOutcome: Equatable, Sendable {
    /// Success; `result`, when present, becomes the `execute_result` (Out[n]).
    case ok(result: MimeBundle?)
    /// Failure; the kernel publishes it as the request's single `error` output.
    case error(ExecutionError)
}

/// One `execute_request` as the interpreter sees it.
public struct ExecuteRequest: Sendable {
    public var code: String
    public var silent: Bool
    public var storeHistory: Bool
    public var allowStdin: Bool
    public var stopOnError: Bool
    /// The execution count this request will be reported with (already incremented when `storeHistory`).
    public var executionCount: Int
    public init(code: String, silent: Bool = false, storeHistory: Bool = true, allowStdin: Bool = false,
                stopOnError: Bool = true, executionCount: Int) {
        self.code = code
        self.silent = silent
        self.storeHistory = storeHistory
        self.allowStdin = allowStdin
        self.stopOnError = stopOnError
        self.executionCount = executionCount
    }
}

/// Stream names of the iopub `stream` message.
public enum StreamName: String, Sendable { case stdout, stderr }

/// How the interpreter publishes output while it executes. The kernel hands one to each execution; every
/// method may be called from any thread, and everything published before `execute` returns reaches iopub
/// before the `execute_reply` (xeus-style callbacks: the interpreter never sees a socket).
public protocol ExecutionContext: AnyObject, Sendable {
    /// Publishes an iopub `stream` message (nothing is published for an empty string).
    func publishStream(_ name: StreamName, _ text: String)
    /// Publishes `display_data`; a non-nil `displayID` goes into `transient.display_id`.
    func publishDisplayData(_ bundle: MimeBundle, displayID: String?)
    /// Publishes `update_display_data` for an earlier display with the same id.
    func publishUpdateDisplayData(_ bundle: MimeBundle, displayID: String)
    /// Publishes `clear_output`.
    func publishClearOutput(wait: Bool)
    /// Asks the frontend for a line of input over the stdin channel (`input_request`); nil when the request
    /// did not allow stdin or the frontend went away.
    func requestInput(prompt: String, password: Bool) -> String?
    /// A context for output this execution's own threads produce after its reply went out: it publishes
    /// streams and displays at once with the same request as parent (as ipykernel does), from any thread,
    /// and never asks for input. The interpreter stops using it when the next execution starts.
    func afterReply() -> ExecutionContext
    /// Publishes a comm message (`comm_open`, `comm_msg`, `comm_close`) the worker's Swift objects sent;
    /// `content` holds `comm_id` and the message's other fields.
    func publishComm(_ type: String, content: JSONValue)
    /// The frontend comm messages for open comms that arrived since the last call, while this execution
    /// runs (the interpreter polls it; the kernel already published their busy/idle). Shell thread.
    func takeCommDeliveries() -> [CommDelivery]
    /// Publishes output of a widget handler (`stream`, `display_data` or `error` content) with the request
    /// that opened comm `commID` as parent: the handler ran while another cell was running, and its
    /// output belongs to the cell that created the widget. Dropped for an unknown comm.
    func publishForComm(_ commID: String, type: String, content: JSONValue)
}

extension ExecutionContext {
    /// Contexts without comm support drop comm messages.
    public func publishComm(_ type: String, content: JSONValue) {}
    /// Contexts without comm support have none.
    public func takeCommDeliveries() -> [CommDelivery] { [] }
    /// Contexts without comm support drop a handler's output.
    public func publishForComm(_ commID: String, type: String, content: JSONValue) {}
}

/// A frontend's comm message that arrived while a cell runs, to be handed to the worker at once.
public struct CommDelivery: Sendable {
    public let commID: String
    /// The message's `data` (an object).
    public let data: JSONValue
    /// A `comm_close` rather than a `comm_msg`.
    public let closing: Bool
}

/// `is_complete_reply` statuses.
public enum CompletenessStatus: Equatable, Sendable {
    case complete
    case incomplete(indent: String)
    case invalid
    case unknown
}

/// A `complete_reply` body.
public struct CompletionResult: Equatable, Sendable {
    public var matches: [String]
    public var cursorStart: Int
    public var cursorEnd: Int
    /// Extra per-match data, e.g. `_jupyter_types_experimental`.
    public var metadata: [String: JSONValue]
    public init(matches: [String], cursorStart: Int, cursorEnd: Int, metadata: [String: JSONValue] = [:]) {
        self.matches = matches
        self.cursorStart = cursorStart
        self.cursorEnd = cursorEnd
        self.metadata = metadata
    }
}

/// Static facts for `kernel_info_reply`'s `language_info`, banner and help links.
public struct LanguageInfo: Equatable, Sendable {
    public var name: String
    public var version: String
    public var mimetype: String
    public var fileExtension: String
    public var codemirrorMode: String
    public var pygmentsLexer: String
    public var banner: String
    public var helpLinks: [(text: String, url: String)]
    public init(name: String, version: String, mimetype: String, fileExtension: String, codemirrorMode: String,
                pygmentsLexer: String, banner: String, helpLinks: [(text: String, url: String)]) {
        self.name = name
        self.version = version
        self.mimetype = mimetype
        self.fileExtension = fileExtension
        self.codemirrorMode = codemirrorMode
        self.pygmentsLexer = pygmentsLexer
        self.banner = banner
        self.helpLinks = helpLinks
    }
    public static func == (a: LanguageInfo, b: LanguageInfo) -> Bool {
        a.name == b.name && a.version == b.version && a.mimetype == b.mimetype && a.fileExtension == b.fileExtension
            && a.codemirrorMode == b.codemirrorMode && a.pygmentsLexer == b.pygmentsLexer && a.banner == b.banner
            && a.helpLinks.map(\.text) == b.helpLinks.map(\.text) && a.helpLinks.map(\.url) == b.helpLinks.map(\.url)
    }
}

/// The language side of the kernel: it runs code and answers questions about it. The kernel core calls it;
/// it knows nothing of sockets or message framing.
public protocol Interpreter: AnyObject {
    /// `language_info`, banner and help links. Called on the shell or control thread.
    var languageInfo: LanguageInfo { get }

    /// Runs one cell. Called on the shell thread, one request at a time. Output goes through `context`
    /// while the code runs; the outcome decides `execute_result` / `error` and the reply's status.
    func execute(_ request: ExecuteRequest, context: ExecutionContext) -> ExecutionOutcome

    /// Answers `is_complete_request`. Called on the shell thread.
    func isComplete(_ code: String) -> CompletenessStatus

    /// Answers `complete_request`; `cursorPos` counts Unicode scalars (protocol 5.2+). Shell thread.
    func complete(_ code: String, cursorPos: Int) -> CompletionResult

    /// Answers `inspect_request`; nil when nothing is found. Shell thread.
    func inspect(_ code: String, cursorPos: Int, detailLevel: Int) -> MimeBundle?

    /// Stops the running execution, if any. Called on the control thread while `execute` may be running
    /// on the shell thread (interrupt_request, or SIGINT to the kernel).
    func interrupt()

    /// Releases resources before the kernel exits or restarts. Called once, on the control thread.
    func shutdown(restart: Bool)

    /// Hands a frontend's `comm_msg` (or, with `closing`, its `comm_close`) for an open comm to the object
    /// behind it. Output goes through `context` (to the cell that opened the comm); a handler that fails
    /// returns `.error`. Shell thread.
    func commMessage(commID: String, data: JSONValue, closing: Bool, context: ExecutionContext) -> ExecutionOutcome
    /// The frontend showed it renders widgets (its widget manager asked for `jupyter.widget` comms, or sent
    /// a widget message): from now on `fit` may report to widgets. Called once per kernel. Shell thread.
    func frontendHasWidgets()
}

extension Interpreter {
    /// Interpreters without comms ignore comm messages.
    public func commMessage(commID: String, data: JSONValue, closing: Bool,
                            context: ExecutionContext) -> ExecutionOutcome { .ok(result: nil) }
    /// Interpreters without widgets ignore it.
    public func frontendHasWidgets() {}
}
