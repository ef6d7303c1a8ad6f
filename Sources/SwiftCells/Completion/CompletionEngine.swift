import Foundation

/// Real Swift completion and documentation for notebook cells, answered by the toolchain's
/// `sourcekit-lsp` over a synthetic file: the import header the next cell would get (`prelude`), then
/// the cell. A workspace directory holds that file and a `compile_flags.txt` with the module search
/// paths, so earlier cells (`Cell<N>.swiftmodule`), LSTMKit and NotebookDisplay are in scope.
///
/// The server starts on the first request (not at kernel start: most sessions never complete), stays
/// running for later requests, and runs in its own process with its own reader thread, so it never
/// holds up an execute. Every request waits at most its `timeout` and then returns nil; the server
/// keeps working in the background, so the next request finds it warm. A server that crashed, or
/// that stopped answering altogether, is replaced on the next request.
///
/// Methods may be called from any thread; requests are answered one at a time.
public final class CompletionEngine: @unchecked Sendable {
    private let moduleSearchPaths: [String]
    private let libraryPaths: [String]
    private let clangModuleMaps: [String]
    private let serverExecutable: String?
    private let requestLock = NSLock()
    private var session: LanguageServerSession?
    private var workspace: URL?
    private var isShutDown = false

    /// Creates an engine; nothing starts until the first request.
    /// - Parameters:
    ///   - moduleSearchPaths: directories with `.swiftmodule` files (`-I`): the cells' build directory
    ///     and the one holding `LSTMKit.swiftmodule` and `NotebookDisplay.swiftmodule`.
    ///   - libraryPaths: directories with the matching shared libraries (`-L`).
    ///   - clangModuleMaps: module maps of C modules those modules import (LSTMKit imports `CBLAS`);
    ///     without them importing LSTMKit fails and nothing of it completes (`Toolchain.clangModuleMaps`).
    ///   - serverExecutable: the `sourcekit-lsp` to run; by default the one on `PATH`.
    public init(moduleSearchPaths: [String], libraryPaths: [String], clangModuleMaps: [String] = [],
                serverExecutable: String? = nil) {
        self.moduleSearchPaths = moduleSearchPaths
        self.libraryPaths = libraryPaths
        self.clangModuleMaps = clangModuleMaps
        self.serverExecutable = serverExecutable ?? Self.locateServer()
    }

    deinit {
        shutdown()
    }

    /// Whether a `sourcekit-lsp` executable was found; without one every request returns nil at once.
    public var isServerAvailable: Bool { serverExecutable != nil }

    /// Completions for the code before `cursorOffset` (Unicode scalars into `code`), or nil when the
    /// server is unavailable, failed, or did not answer within `timeout` seconds.
    public func complete(prelude: String, code: String, cursorOffset: Int, timeout: Double) -> CompletionMatches? {
        let document = SyntheticDocument(prelude: prelude, code: code)
        let cursor = min(max(0, cursorOffset), code.unicodeScalars.count)
        let params: [String: Any] = ["position": document.position(ofCodeOffset: cursor).json]
        guard let result = send("textDocument/completion", params: params, document: document,
                                deadline: .now() + max(0, timeout))
        else { return nil }
        let matches = LanguageServerResults.completionMatches(from: result, document: document, cursorOffset: cursor)
        // The server can miss names that are plainly in scope (an earlier cell's module that failed to
        // load, code it cannot type-check yet) and answer only fuzzy guesses; an obvious prefix still
        // deserves those names.
        let prefix = String(String.UnicodeScalarView(
            code.unicodeScalars.dropFirst(matches.startOffset).prefix(cursor - matches.startOffset))).lowercased()
        if !matches.matches.contains(where: { $0.lowercased().hasPrefix(prefix) }),
           let names = NameCompleter(prelude: prelude).complete(code: code, cursorOffset: cursor) {
            return names
        }
        return matches
    }

    /// Documentation of the symbol at `cursorOffset` (or of the function whose call the cursor is in),
    /// or nil when there is none, or the server is unavailable, failed or missed the `timeout`.
    ///
    /// Hover documents one declaration; an overloaded name (`model.fit`, `padSequences`) has no single
    /// one until the call's arguments pick it, so hover finds nothing there. Signature help lists every
    /// overload with its doc comment: it is asked inside the call's parentheses, or, for a name written
    /// without them, in a copy of the cell with `()` put after the name.
    public func inspect(prelude: String, code: String, cursorOffset: Int, timeout: Double) -> Documentation? {
        let deadline = DispatchTime.now() + max(0, timeout)
        let targets = InspectionTargetFinder.targets(in: SyntheticDocument.blankingMagicNames(code),
                                                     cursorOffset: cursorOffset)
        let document = SyntheticDocument(prelude: prelude, code: code)
        for target in targets {
            let hover = send("textDocument/hover", params: ["position": document.position(ofCodeOffset: target.nameStart).json],
                             document: document, deadline: deadline)
            if let found = LanguageServerResults.documentation(fromHover: hover) { return found }
            var callDocument = document
            if target.argumentsStart == nil {
                let scalars = code.unicodeScalars
                let split = scalars.index(scalars.startIndex, offsetBy: target.nameEnd)
                callDocument = SyntheticDocument(prelude: prelude, code: String(scalars[..<split]) + "()" + String(scalars[split...]))
            }
            let argumentsStart = target.argumentsStart ?? target.nameEnd + 1
            let help = send("textDocument/signatureHelp",
                            params: ["position": callDocument.position(ofCodeOffset: argumentsStart).json],
                            document: callDocument, deadline: deadline)
            if let found = LanguageServerResults.documentation(fromSignatureHelp: help) { return found }
        }
        return nil
    }

    /// Name completion without the server (see `NameCompleter`): what to offer when `complete` returns
    /// nil, so an obvious prefix never completes to nothing.
    public func completeNames(prelude: String, code: String, cursorOffset: Int,
                              extraNames: [String] = []) -> CompletionMatches? {
        NameCompleter(prelude: prelude, extraNames: extraNames).complete(code: code, cursorOffset: cursorOffset)
    }

    /// Stops the server and removes the workspace directory. Later requests return nil.
    public func shutdown() {
        requestLock.lock()
        defer { requestLock.unlock() }
        isShutDown = true
        session?.stop(graceful: true)
        session = nil
        if let workspace { try? FileManager.default.removeItem(at: workspace) }
        workspace = nil
    }

    // MARK: - Requests

    /// Sends a position request about `document`; the `result` of the response (`NSNull` for a null
    /// result), or nil on any failure or after `deadline`. A server found dead is replaced once within it.
    private func send(_ method: String, params: [String: Any], document: SyntheticDocument,
                      deadline: DispatchTime) -> Any? {
        requestLock.lock()
        defer { requestLock.unlock() }
        guard DispatchTime.now() < deadline else { return nil }
        for _ in 0..<2 {
            guard let session = readySession(until: deadline) else { return nil }
            session.synchronise(document)
            var fullParams = params
            fullParams["textDocument"] = ["uri": session.documentURI]
            switch session.connection.request(method, params: fullParams, deadline: deadline) {
            case .response(let response):
                session.consecutiveTimeouts = 0
                if response["error"] != nil { return nil }
                return response["result"] ?? NSNull()
            case .timedOut:
                noteMissedDeadline(session)
                return nil
            case .disconnected:
                replaceSession()
            }
        }
        return nil
    }

    /// The process id of the running server, if any (tests use it to play a crash).
    var serverProcessIdentifier: Int32? {
        requestLock.lock()
        defer { requestLock.unlock() }
        return session?.connection.processIdentifier
    }

    /// The running, initialised session, starting one if needed; nil when it is not ready by `deadline`
    /// (it goes on initialising) or cannot start.
    private func readySession(until deadline: DispatchTime) -> LanguageServerSession? {
        guard !isShutDown, let serverExecutable else { return nil }
        if let session, !session.connection.isAlive || session.initialisationFailed { replaceSession() }
        if session == nil {
            guard let workspace = prepareWorkspace() else { return nil }
            session = try? LanguageServerSession(executable: serverExecutable, workspace: workspace)
        }
        guard let session else { return nil }
        guard session.waitUntilReady(deadline: deadline) else {
            noteMissedDeadline(session)
            return nil
        }
        return session
    }

    /// A server that missed three deadlines in a row and has been silent for ten seconds is hung (a slow
    /// one, still loading modules on a busy machine, keeps sending diagnostics and late answers): it
    /// is replaced, so the next request starts afresh.
    private func noteMissedDeadline(_ session: LanguageServerSession) {
        session.consecutiveTimeouts += 1
        if session.consecutiveTimeouts >= 3 && session.connection.secondsSinceLastMessage >= 10 {
            replaceSession()
        }
    }

    /// Drops the session without the shutdown handshake, which would cost the caller's deadline.
    private func replaceSession() {
        session?.stop(graceful: false)
        session = nil
    }

    /// Creates the workspace directory once, with the compile flags every synthetic file is checked with.
    private func prepareWorkspace() -> URL? {
        if let workspace { return workspace }
        Self.removeAbandonedWorkspaces()
        let pid = ProcessInfo.processInfo.processIdentifier
        let template = NSTemporaryDirectory() + "\(Self.workspacePrefix)\(pid)-XXXXXX"
        var path = Array(template.utf8CString)
        guard mkdtemp(&path) != nil else { return nil }
        let directory = URL(fileURLWithPath: String(cString: path), isDirectory: true)
        // One argument per line. `-I` makes earlier cells, LSTMKit and NotebookDisplay importable (the
        // cells are built with `-enable-testing`, which is all `@testable import` needs); the file is
        // named `main.swift`, which puts it in script mode, so top-level statements check as in a cell.
        var flags = ["-swift-version", "5"]
        for path in moduleSearchPaths { flags += ["-I", path] }
        for path in libraryPaths { flags += ["-L", path] }
        for map in clangModuleMaps { flags += ["-Xcc", "-fmodule-map-file=\(map)"] }
        do {
            try (flags.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("compile_flags.txt"),
                                                             atomically: true, encoding: .utf8)
            try "".write(to: directory.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            return nil
        }
        PrivateFiles.restrict(directory.path)
        workspace = directory
        return directory
    }

    private static let workspacePrefix = "swift-lstm-completion-"

    /// Removes workspaces of kernels that died without `shutdown` (killed): their names carry the pid.
    private static func removeAbandonedWorkspaces() {
        let temporary = NSTemporaryDirectory()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary) else { return }
        for name in names where name.hasPrefix(workspacePrefix) {
            let pidText = name.dropFirst(workspacePrefix.count).prefix(while: \.isNumber)
            guard let pid = Int32(pidText), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: (temporary as NSString).appendingPathComponent(name))
        }
    }

    /// `sourcekit-lsp` from `PATH`, or beside the `swift` driver the toolchain put there.
    static func locateServer() -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in paths {
            let candidate = directory + "/sourcekit-lsp"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        for directory in paths {
            let swift = URL(fileURLWithPath: directory + "/swift").resolvingSymlinksInPath()
            let candidate = swift.deletingLastPathComponent().appendingPathComponent("sourcekit-lsp").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
