import Foundation
import JupyterKernel
import JupyterProtocol
import SwiftCells

/// The Swift cell engine behind the Jupyter kernel: compiles each cell with swiftc, runs it in the worker
/// process, and turns every outcome into Jupyter terms. The kernel core calls it on the shell thread
/// (`interrupt` on the control thread).
final class SwiftInterpreter: Interpreter {
    /// The session, or why it could not be set up (then every execute reports that, the kernel lives on).
    private let session: Result<CellSession, CellError>
    private let workDirectory: String
    private let binDirectory: String
    private var completion: CompletionEngine?
    /// Which execution count each cell module ran as, so `<cell 4>` can be shown as `In[7]`.
    private var executionCounts: [Int: Int] = [:]

    init() {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        let bin = (executable as NSString).deletingLastPathComponent
        let temporary = NSTemporaryDirectory().hasSuffix("/") ? String(NSTemporaryDirectory().dropLast())
            : NSTemporaryDirectory()
        let kept = ProcessInfo.processInfo.environment["SWIFT_LSTM_KEEP_CELLS"] != nil
        guard let work = SessionDirectory.create(in: temporary, kept: kept) else {
            binDirectory = bin
            workDirectory = ""
            session = .failure(.setup("could not create a session folder in \(temporary): "
                + String(cString: strerror(errno))))
            return
        }
        binDirectory = bin
        workDirectory = work
        session = Result { () throws(CellError) -> CellSession in
            try CellSession(executable: executable, binDirectory: bin, workDirectory: work)
        }
    }

    var languageInfo: LanguageInfo {
        let version = (try? session.get())?.pipeline.toolchain.version ?? "Swift"
        return LanguageInfo(
            name: "swift", version: Self.versionNumber(version), mimetype: "text/x-swift",
            fileExtension: ".swift", codemirrorMode: "swift", pygmentsLexer: "swift",
            banner: "Swift (LSTMKit) — \(version). Cells are compiled with swiftc; %lsmagic lists the magics.",
            helpLinks: [(text: "Swift language guide", url: "https://docs.swift.org/swift-book/")])
    }

    func execute(_ request: ExecuteRequest, context: ExecutionContext) -> ExecutionOutcome {
        let cellSession: CellSession
        switch session {
        case .success(let s): cellSession = s
        case .failure(let error): return .error(Self.executionError(error, request: request, cellName: cellName))
        }
        let directives = CellDirectives.split(request.code)
        if !directives.isEmpty,
           let failed = runDirectives(directives, session: cellSession, request: request, context: context) {
            return failed
        }
        let magic: CellMagic
        do {
            magic = try CellMagic.parse(directives.code)
        } catch {
            return .error(Self.executionError(error, request: request, cellName: cellName))
        }
        return run(magic, session: cellSession, request: request, context: context)
    }

    /// Runs plain Swift through the session and turns the result into an outcome.
    func runCode(_ code: String, session: CellSession, request: ExecuteRequest,
                 context: ExecutionContext) -> (ExecutionOutcome, CellSummary?) {
        if code.allSatisfy(\.isWhitespace) { return (.ok(result: nil), nil) }
        let sink = ContextSink(context: context, silent: request.silent, allowStdin: request.allowStdin)
        let late = ContextSink(context: context.afterReply(), silent: request.silent, allowStdin: false)
        let result = session.execute(code, allowStdin: request.allowStdin, sink: sink, lateSink: late)
        if let module = session.lastModule { executionCounts[module] = request.executionCount }
        switch result {
        case .success(let summary):
            Self.logTimings(summary)
            return (.ok(result: sink.result), summary)
        case .failure(let error):
            return (.error(Self.executionError(error, request: request, cellName: cellName)), nil)
        }
    }

    func isComplete(_ code: String) -> CompletenessStatus {
        if code.hasPrefix("%") && !code.hasPrefix("%%") { return .complete }
        switch checkCompleteness(CellMagic.strippingCellMagic(CellDirectives.split(code).code)) {
        case .complete: return .complete
        case .incomplete(let indent): return .incomplete(indent: indent)
        case .invalid: return .invalid
        }
    }

    func complete(_ code: String, cursorPos: Int) -> CompletionResult {
        let empty = CompletionResult(matches: [], cursorStart: cursorPos, cursorEnd: cursorPos)
        guard let engine = completionEngine(), case .success(let s) = session else { return empty }
        let prelude = s.importHeader()
        let found = engine.complete(prelude: prelude, code: code, cursorOffset: cursorPos, timeout: 3)
            ?? engine.completeNames(prelude: prelude, code: code, cursorOffset: cursorPos,
                                    extraNames: s.pipeline.table.names.map(\.name))
        guard let matches = found else { return empty }
        let types: [JSONValue] = matches.candidates.map {
            .object(["text": .string($0.text), "type": .string($0.kind), "signature": .string($0.signature),
                     "start": .number(Double(matches.startOffset)), "end": .number(Double(matches.endOffset))])
        }
        return CompletionResult(matches: matches.matches, cursorStart: matches.startOffset,
                                cursorEnd: matches.endOffset, metadata: ["_jupyter_types_experimental": .array(types)])
    }

    func inspect(_ code: String, cursorPos: Int, detailLevel: Int) -> MimeBundle? {
        guard let engine = completionEngine(), case .success(let s) = session,
              let doc = engine.inspect(prelude: s.importHeader(), code: code, cursorOffset: cursorPos, timeout: 3)
        else { return nil }
        return MimeBundle(data: ["text/plain": .string(doc.plainText), "text/markdown": .string(doc.markdown)])
    }

    func interrupt() {
        if case .success(let s) = session { s.interrupt() }
    }

    /// Runs the worker-side handler of a widget (or other comm object) for a frontend's comm message.
    func commMessage(commID: String, data: JSONValue, closing: Bool, context: ExecutionContext) -> ExecutionOutcome {
        guard case .success(let cellSession) = session else { return .ok(result: nil) }
        let sink = ContextSink(context: context, silent: false, allowStdin: false)
        let late = ContextSink(context: context.afterReply(), silent: false, allowStdin: false)
        guard let encoded = try? data.encoded() else { return .ok(result: nil) }
        let json = String(decoding: encoded, as: UTF8.self)
        switch cellSession.comm(commID, json: json, kind: closing ? "close" : "msg", sink: sink, lateSink: late) {
        case .success:
            return .ok(result: nil)
        case .failure(.threw(let typeName, let description)):
            let (ename, evalue, headline) = Self.thrownError(typeName: typeName, description: description)
            return .error(ExecutionError(ename: ename, evalue: evalue,
                                         traceback: [headline, "(thrown by a widget handler; the widget keeps its state)"]))
        case .failure(let error):
            let request = ExecuteRequest(code: "", executionCount: 0)
            return .error(Self.executionError(error, request: request, cellName: cellName))
        }
    }

    func frontendHasWidgets() {
        if case .success(let s) = session { s.setFrontendHasWidgets() }
    }

    func shutdown(restart: Bool) {
        completion?.shutdown()
        if case .success(let s) = session { s.shutdown() }
        // SWIFT_LSTM_KEEP_CELLS=1 keeps the generated sources and libraries for inspection.
        if ProcessInfo.processInfo.environment["SWIFT_LSTM_KEEP_CELLS"] == nil, !workDirectory.isEmpty {
            SessionDirectory.remove(workDirectory)
        }
    }

    /// `In[7]` for a cell module that ran as execution 7; `cell 4` when unknown (e.g. a silent request).
    func cellName(_ module: Int) -> String {
        executionCounts[module].map { "In[\($0)]" } ?? "cell \(module)"
    }

    /// Stops the completion server, so the next request starts one that sees newly installed modules.
    func resetCompletion() {
        completion?.shutdown()
        completion = nil
    }

    /// Created on first use: most sessions never complete anything.
    private func completionEngine() -> CompletionEngine? {
        if let completion { return completion }
        guard case .success(let s) = session else { return nil }
        let toolchain = s.pipeline.toolchain
        let packages = s.installed
        let packageMaps = (packages?.clangArguments ?? []).compactMap { argument -> String? in
            argument.hasPrefix("-fmodule-map-file=") ? String(argument.dropFirst("-fmodule-map-file=".count)) : nil
        }
        let engine = CompletionEngine(moduleSearchPaths: [workDirectory] + toolchain.moduleSearchPaths
                                        + (packages?.moduleSearchPaths ?? []),
                                      libraryPaths: [workDirectory, binDirectory] + (packages.map { [$0.libraryDirectory] } ?? []),
                                      clangModuleMaps: toolchain.clangModuleMaps + packageMaps)
        completion = engine
        return engine
    }

    /// Appends one JSON line of stage timings per successful cell to `$SWIFT_LSTM_CELL_TIMINGS`, when set
    /// (benchmarks/cell_bench.py reads it).
    static func logTimings(_ summary: CellSummary) {
        guard let path = ProcessInfo.processInfo.environment["SWIFT_LSTM_CELL_TIMINGS"],
              let handle = FileHandle(forWritingAtPath: path) ?? {
                  FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
                  return FileHandle(forWritingAtPath: path)
              }() else { return }
        let t = summary.timings
        let line = "{\"module\":\(summary.build.module),\"cached\":\(summary.cached),\"parse\":\(t.parse),"
            + "\"generate\":\(t.generate),\"compile\":\(t.compile),\"link\":\(t.link),\"load\":\(t.load),"
            + "\"run\":\(t.run),\"worker_roundtrip\":\(summary.runSeconds)}\n"
        handle.seekToEndOfFile()
        handle.write(Data(line.utf8))
        handle.closeFile()
    }

    /// `Swift version 6.3.1 (swift-6.3.1-RELEASE)` → `6.3.1`.
    static func versionNumber(_ line: String) -> String {
        let words = line.split(separator: " ")
        if let i = words.firstIndex(of: "version"), i + 1 < words.count { return String(words[i + 1]) }
        return line
    }
}

/// The interpreter the kernel command runs with.
func makeInterpreter() -> Interpreter { SwiftInterpreter() }
