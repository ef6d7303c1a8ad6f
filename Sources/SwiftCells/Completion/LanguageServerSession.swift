import Foundation

/// One running `sourcekit-lsp`: its connection, the initialisation handshake, and the synthetic
/// document it has open. The engine replaces the whole session when the server dies.
///
/// `initialize` is answered on the reader thread, which then sends `initialized`; a request that gives
/// up waiting leaves the handshake running, so the next request finds the server ready.
final class LanguageServerSession: @unchecked Sendable {
    let connection: LanguageServerConnection
    /// `file://` URI of the synthetic `main.swift`.
    let documentURI: String
    /// Deadlines missed in a row; reset by any answer. Touched only under the engine's request lock.
    var consecutiveTimeouts = 0

    private let readiness = NSCondition()
    private var isReady = false
    private var failed = false
    /// Text and version the server last saw; nil until `didOpen`. Touched only under the request lock.
    private var sentText: String?
    private var version = 0

    /// Starts the server in `workspace` and sends `initialize`.
    init(executable: String, workspace: URL) throws {
        connection = try LanguageServerConnection(
            executable: executable, arguments: ["--default-workspace-type", "compilationDatabase"],
            workingDirectory: workspace)
        documentURI = workspace.appendingPathComponent("main.swift").absoluteString
        let rootURI = workspace.absoluteString
        let capabilities: [String: Any] = [
            "textDocument": [
                // Plain insert texts: a Jupyter match is inserted as it is, `${1:…}` would show up literally.
                "completion": ["completionItem": ["snippetSupport": false]],
                "hover": ["contentFormat": ["markdown", "plaintext"]],
                "signatureHelp": ["signatureInformation": ["documentationFormat": ["markdown", "plaintext"]]],
            ],
        ]
        let params: [String: Any] = [
            "processId": Int(ProcessInfo.processInfo.processIdentifier),
            "rootUri": rootURI,
            "capabilities": capabilities,
            "workspaceFolders": [["uri": rootURI, "name": "notebook"]],
        ]
        connection.send("initialize", params: params) { [weak self] response in
            guard let self else { return }
            let succeeded = response?["result"] != nil
            if succeeded { self.connection.notify("initialized", params: [String: Any]()) }
            self.readiness.lock()
            if succeeded { self.isReady = true } else { self.failed = true }
            self.readiness.broadcast()
            self.readiness.unlock()
        }
    }

    /// True when the server refused `initialize` or died before answering it.
    var initialisationFailed: Bool {
        readiness.lock()
        defer { readiness.unlock() }
        return failed
    }

    /// Waits for the `initialize` answer; false when `deadline` passed first or initialisation failed.
    func waitUntilReady(deadline: DispatchTime) -> Bool {
        let remaining = Int64(bitPattern: deadline.uptimeNanoseconds &- DispatchTime.now().uptimeNanoseconds)
        let limit = Date(timeIntervalSinceNow: Double(max(0, remaining)) / 1e9)
        readiness.lock()
        defer { readiness.unlock() }
        while !isReady && !failed {
            if !readiness.wait(until: limit) { break }
        }
        return isReady
    }

    /// Makes the server's copy of the synthetic file equal to `document` (`didOpen`, then full-text
    /// `didChange`s; the file is small, so incremental edits would buy nothing).
    func synchronise(_ document: SyntheticDocument) {
        let text = document.text
        if sentText == nil {
            version = 1
            connection.notify("textDocument/didOpen", params: [
                "textDocument": ["uri": documentURI, "languageId": "swift", "version": version, "text": text],
            ])
        } else if sentText != text {
            version += 1
            connection.notify("textDocument/didChange", params: [
                "textDocument": ["uri": documentURI, "version": version],
                "contentChanges": [["text": text]],
            ])
        }
        sentText = text
    }

    /// Stops the server: `graceful` first asks it to exit (waiting up to a second for that), which a
    /// server that missed its deadlines would not honour anyway; then it is terminated in any case.
    func stop(graceful: Bool) {
        if graceful && connection.isAlive && isReadyNow {
            _ = connection.request("shutdown", params: nil, deadline: .now() + 1)
            connection.notify("exit")
        }
        connection.terminate()
    }

    private var isReadyNow: Bool {
        readiness.lock()
        defer { readiness.unlock() }
        return isReady
    }
}
