import Foundation
@testable import SwiftCells
import XCTest

/// The LSP conversation itself, against a scripted server that behaves as real servers may: it asks the
/// client questions before answering `initialize`, and packs several messages into one write. A client
/// that left the questions unanswered would wait forever; one that split frames wrongly would lose the
/// answer. Either way the user would get no completions.
final class CompletionProtocolTests: XCTestCase {
    /// A minimal server in Python: it refuses to finish initialising until the client answered
    /// `workspace/configuration` with one entry per item and acknowledged a progress token.
    private static let scriptedServer = #"""
        import json, sys

        def read():
            length = None
            while True:
                line = sys.stdin.buffer.readline()
                if not line:
                    sys.exit(0)
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            return json.loads(sys.stdin.buffer.read(length))

        def frame(message):
            body = json.dumps(message).encode()
            return b"Content-Length: %d\r\n\r\n" % len(body) + body

        def send(*messages):
            sys.stdout.buffer.write(b"".join(frame(m) for m in messages))
            sys.stdout.buffer.flush()

        init = read()
        send({"jsonrpc": "2.0", "id": "cfg", "method": "workspace/configuration",
              "params": {"items": [{"section": "a"}, {"section": "b"}]}},
             {"jsonrpc": "2.0", "id": 7, "method": "window/workDoneProgress/create", "params": {"token": "t"}})
        answers = {}
        while len(answers) < 2:
            message = read()
            if "method" not in message:
                answers[message["id"]] = message
        if answers["cfg"].get("result") != [None, None] or "result" not in answers[7]:
            sys.exit(3)
        send({"jsonrpc": "2.0", "id": init["id"], "result": {"capabilities": {}}})
        while True:
            message = read()
            if message.get("method") == "textDocument/completion":
                position = message["params"]["position"]
                start = {"line": position["line"], "character": position["character"] - 2}
                items = [{"label": "scripted", "sortText": "1", "kind": 6,
                          "textEdit": {"newText": "scripted", "range": {"start": start, "end": position}}}]
                send({"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics",
                      "params": {"uri": "x", "diagnostics": []}},
                     {"jsonrpc": "2.0", "id": message["id"], "result": {"isIncomplete": False, "items": items}})
            elif message.get("method") == "shutdown":
                send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif message.get("method") == "exit":
                sys.exit(0)
        """#

    func testServerQuestionsAreAnsweredAndPackedFramesAreSplit() throws {
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        guard let python else { throw XCTSkip("python3 is needed for the scripted server") }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("scripted-lsp-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = directory.appendingPathComponent("server.py")
        try Self.scriptedServer.write(to: server, atomically: true, encoding: .utf8)
        // The engine passes sourcekit-lsp's arguments, which the script ignores.
        let launcher = directory.appendingPathComponent("server")
        try "#!/bin/sh\nexec \(python) \(server.path)\n".write(to: launcher, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: launcher.path)

        let engine = CompletionEngine(moduleSearchPaths: [], libraryPaths: [], serverExecutable: launcher.path)
        defer { engine.shutdown() }
        let code = "let a = 1\nsc"
        let result = try XCTUnwrap(engine.complete(prelude: "import LSTMKit\n", code: code, cursorOffset: 12,
                                                   timeout: 60))
        XCTAssertEqual(result.matches, ["scripted"])
        XCTAssertEqual(result.startOffset, 10)
        XCTAssertEqual(result.endOffset, 12)
    }
}
