import JupyterKernel

/// Placeholder until the cell engine (issue 3) lands: answers every request with a clear error, so the
/// kernel protocol can be exercised on its own. The cell-engine engineer replaces this file.
final class PendingInterpreter: Interpreter {
    var languageInfo: LanguageInfo {
        LanguageInfo(name: "swift", version: "6.3.1", mimetype: "text/x-swift", fileExtension: ".swift",
                     codemirrorMode: "swift", pygmentsLexer: "swift", banner: "Swift (LSTMKit)", helpLinks: [])
    }
    func execute(_ request: ExecuteRequest, context: ExecutionContext) -> ExecutionOutcome {
        .error(ExecutionError(ename: "NotReady", evalue: "the Swift cell engine is not built yet", traceback: []))
    }
    func isComplete(_ code: String) -> CompletenessStatus { .unknown }
    func complete(_ code: String, cursorPos: Int) -> CompletionResult {
        CompletionResult(matches: [], cursorStart: cursorPos, cursorEnd: cursorPos)
    }
    func inspect(_ code: String, cursorPos: Int, detailLevel: Int) -> MimeBundle? { nil }
    func interrupt() {}
    func shutdown(restart: Bool) {}
}

/// The interpreter the kernel command runs with.
func makeInterpreter() -> Interpreter { PendingInterpreter() }
