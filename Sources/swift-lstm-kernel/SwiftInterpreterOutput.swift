import Foundation
import JupyterKernel
import JupyterProtocol
import SwiftCells

/// Forwards a running cell's output to the request's `ExecutionContext`: streams, display records from the
/// display pipe, the `execute_result` record (kept as the outcome's result), and stdin requests.
final class ContextSink: CellOutputSink {
    private let context: ExecutionContext
    private let silent: Bool
    private let allowStdin: Bool
    /// The cell's value (from its `execute_result` record), when it had one.
    private(set) var result: MimeBundle?

    init(context: ExecutionContext, silent: Bool, allowStdin: Bool) {
        self.context = context
        self.silent = silent
        self.allowStdin = allowStdin
    }

    func cellOutput(_ text: String, isError: Bool) {
        guard !silent else { return }
        context.publishStream(isError ? .stderr : .stdout, text)
    }

    func cellDisplayRecord(_ json: String) {
        guard let value = try? JSONValue.decode(Data(json.utf8)), let record = value.objectValue else {
            cellOutput("swift-lstm-kernel: ignored a malformed display record\n", isError: true)
            return
        }
        if let type = record["msg_type"]?.stringValue, type.hasPrefix("comm_") {
            var content = record
            content["msg_type"] = nil
            context.publishComm(type, content: .object(content))
            return
        }
        // Output of a widget handler run while this cell runs: it belongs to the cell that created the widget.
        if let commID = record["comm_id"]?.stringValue, let type = record["msg_type"]?.stringValue,
           ["stream", "display_data", "error"].contains(type) {
            var content = record
            content["msg_type"] = nil
            content["comm_id"] = nil
            if type == "display_data" { content["transient"] = .object([:]) }
            context.publishForComm(commID, type: type, content: .object(content))
            return
        }
        let bundle = MimeBundle(data: record["data"]?.objectValue ?? [:], metadata: record["metadata"]?.objectValue ?? [:])
        let displayID = record["transient"]?["display_id"]?.stringValue
        switch record["msg_type"]?.stringValue {
        case "execute_result":
            result = bundle
        case "display_data" where !silent:
            context.publishDisplayData(bundle, displayID: displayID)
        case "update_display_data" where !silent:
            if let displayID { context.publishUpdateDisplayData(bundle, displayID: displayID) }
        case "clear_output" where !silent:
            context.publishClearOutput(wait: record["wait"]?.boolValue ?? false)
        default:
            break
        }
    }

    func cellPendingComms() -> [(id: String, json: String, kind: String)] {
        context.takeCommDeliveries().compactMap { delivery in
            guard let encoded = try? delivery.data.encoded() else { return nil }
            return (delivery.commID, String(decoding: encoded, as: UTF8.self), delivery.closing ? "close" : "msg")
        }
    }

    func cellNeedsInput(prompt: String) -> String? {
        guard allowStdin else { return nil }
        return context.requestInput(prompt: prompt, password: false)
    }
}

extension SwiftInterpreter {
    /// Turns a cell failure into the request's single Jupyter `error` (ename, evalue, traceback).
    /// `cellName` names a cell module as the user knows it (`In[7]`).
    static func executionError(_ error: CellError, request: ExecuteRequest,
                               cellName: (Int) -> String) -> ExecutionError {
        let cell = "In[\(request.executionCount)]"
        let restarted = "The worker process was restarted: all state from earlier cells (variables, functions, "
            + "types) is lost; re-run the cells you need."
        switch error {
        case .compile(let diagnostics):
            let lines = diagnostics.rendered.map { relabel($0, diagnostics.cellLabel, cell, cellName) }
            let first = diagnostics.errors.first
            let evalue = first.map { d in
                d.file == diagnostics.cellLabel ? "\(d.message) (\(cell), line \(d.line))" : d.message
            } ?? "the cell did not compile"
            return ExecutionError(ename: "CompileError", evalue: evalue, traceback: lines)
        case .link(let output):
            return ExecutionError(ename: "LinkError", evalue: "the cell compiled but did not link",
                                  traceback: output.split(separator: "\n").map(String.init))
        case .setup(let message):
            return ExecutionError(ename: "SetupError", evalue: message, traceback: ["SetupError: \(message)"])
        case .load(let message):
            return ExecutionError(ename: "LoadError", evalue: message, traceback: ["LoadError: \(message)"])
        case .threw(let typeName, let description):
            let (ename, evalue, headline) = thrownError(typeName: typeName, description: description)
            return ExecutionError(ename: ename, evalue: evalue,
                                  traceback: [headline, "(thrown at the top level of \(cell))"])
        case .trapped(let message, let location, let survived):
            let evalue = message.hasPrefix("Fatal error: ") ? String(message.dropFirst(13)) : message
            let place = location.map { "\(cellName($0.module)), line \($0.line)" }
            var traceback = [message]
            if let place { traceback.append("  at \(place)") }
            traceback.append(survived ? "Earlier cells' state is intact." : restarted)
            return ExecutionError(ename: "FatalError", evalue: place.map { "\(evalue) (\($0))" } ?? evalue,
                                  traceback: traceback)
        case .workerDied(let reason):
            let evalue = "the worker process running the cell died (\(reason))"
            return ExecutionError(ename: "WorkerDied", evalue: evalue, traceback: ["WorkerDied: \(evalue)", restarted])
        case .interrupted(let workerRestarted, let detail):
            let evalue = workerRestarted
                ? "the cell did not stop within 2 s of the interrupt (it was not running its own code: e.g. it "
                    + "waited in a system call or on a lock), so its worker was restarted"
                : (detail.isEmpty ? "the cell was interrupted" : caseAndMessage(detail)?.message ?? detail)
            return ExecutionError(ename: "Interrupted", evalue: evalue,
                                  traceback: ["Interrupted: \(evalue)"] + (workerRestarted ? [restarted] : []))
        case .unsupported(let message):
            return ExecutionError(ename: "UnsupportedCode", evalue: message, traceback: ["UnsupportedCode: \(message)"])
        case .magic(let message):
            return ExecutionError(ename: "UsageError", evalue: message, traceback: ["UsageError: \(message)"])
        case .install(let message, let log):
            var traceback = ["InstallError: \(message)", "Nothing was installed; earlier state and installs are unchanged."]
            if !log.isEmpty { traceback += ["", "Full build log:"] + log.split(separator: "\n").map(String.init) }
            return ExecutionError(ename: "InstallError", evalue: message, traceback: traceback)
        case .shell(let message):
            return ExecutionError(ename: "ShellError", evalue: message, traceback: ["ShellError: \(message)"])
        }
    }

    /// Names a thrown error once. The type loses its module (`LSTMKit.LSTMKitError` → `LSTMKitError`); a
    /// description that already starts with it is not repeated: `LSTMKitError.shapeMismatch: msg` gives
    /// ename `LSTMKitError.shapeMismatch` and evalue `msg`, `MyError(code: 3)` stays whole; any other
    /// description is the evalue after `Type: `. Returns (ename, evalue, the traceback's first line).
    static func thrownError(typeName: String, description: String) -> (String, String, String) {
        var shortName = typeName
        if !typeName.contains("<"), let dot = typeName.lastIndex(of: ".") {
            shortName = String(typeName[typeName.index(after: dot)...])
        }
        if let (kind, message) = caseAndMessage(description), kind.hasPrefix(shortName + ".") {
            return (kind, message, description)
        }
        if description.hasPrefix(shortName), !shortName.isEmpty {
            let next = description.dropFirst(shortName.count).first
            if next == nil || next == "(" || next == ":" || next == "." {
                return (shortName, description, description)
            }
        }
        return (shortName, description, "\(shortName): \(description)")
    }

    /// `LSTMKitError.interrupted: msg` → (`LSTMKitError.interrupted`, `msg`): a `Type.case: ` prefix
    /// (letters, digits, underscores and dots, no spaces) and the message after it.
    static func caseAndMessage(_ description: String) -> (kind: String, message: String)? {
        guard let colon = description.range(of: ": ") else { return nil }
        let kind = description[..<colon.lowerBound]
        guard kind.contains("."), kind.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else { return nil }
        return (String(kind), String(description[colon.upperBound...]))
    }

    /// `<cell 4>:2:7: error: …` → `In[6]:2:7: error: …`: the current cell's label becomes its
    /// execution count, and earlier cells' labels (in notes) the counts they ran as.
    private static func relabel(_ line: String, _ label: String, _ cell: String,
                                _ cellName: (Int) -> String) -> String {
        if !label.isEmpty, line.hasPrefix(label) { return cell + line.dropFirst(label.count) }
        guard line.hasPrefix("<cell "), let close = line.firstIndex(of: ">"),
              let module = Int(line[line.index(line.startIndex, offsetBy: 6)..<close]) else { return line }
        return cellName(module) + line[line.index(after: close)...]
    }
}
