import Foundation

/// Lays out widgets in a row (`HBoxModel`) or column (`VBoxModel`).
open class Box: Widget, @unchecked Sendable {
    /// The widgets shown, in order.
    public let children: [Widget]

    init(model: String, view: String, children: [Widget]) {
        self.children = children
        super.init(model: model, view: view, state: domState(description: "", style: nil, [
            "children": .array(children.map(\.reference)), "box_style": "",
        ]))
    }

    override open var textDescription: String {
        children.map(\.textDescription).joined(separator: modelName == "HBoxModel" ? "  " : "\n")
    }
}

/// A row of widgets.
public final class HBox: Box, @unchecked Sendable {
    public init(_ children: [Widget]) { super.init(model: "HBoxModel", view: "HBoxView", children: children) }
}

/// A column of widgets.
public final class VBox: Box, @unchecked Sendable {
    public init(_ children: [Widget]) { super.init(model: "VBoxModel", view: "VBoxView", children: children) }
}

/// An area of outputs that Swift code fills (`OutputModel` of `@jupyter-widgets/output`): whatever
/// `display(_:)` shows inside `capture { … }` goes here instead of the cell, and an error thrown there is
/// shown here. Its outputs are kept in the widget's `outputs` state, so every view shows them.
public final class Output: Widget, @unchecked Sendable {
    public init() {
        super.init(model: "OutputModel", view: "OutputView", module: Widget.output, moduleVersion: "1.0.0", state: [
            "_dom_classes": .array([]), "msg_id": "", "outputs": .array([]), "tabbable": .null, "tooltip": .null,
            "layout": Widget(model: "LayoutModel", view: "LayoutView", module: Widget.base, state: [:]).reference,
        ])
    }

    /// Removes every output.
    public func clear() { set(["outputs": .array([])]) }

    /// Runs `body` with this widget receiving its output: what it prints (stdout and stderr) and shows with
    /// `display(_:)`, in order. An error `body` throws is shown here as an error output (and not
    /// rethrown), as Jupyter shows a cell's error; in the kernel a trap in `body` is shown here too.
    public func capture(_ body: () throws -> Void) {
        OutputCapture.run(into: .output(self)) {
            do {
                try body()
            } catch {
                var typeName = String(reflecting: type(of: error))
                // `Cell3.Oops` → `Oops`, as for a cell's own throws.
                if typeName.hasPrefix("Cell"), let dot = typeName.firstIndex(of: ".") {
                    typeName = String(typeName[typeName.index(after: dot)...])
                }
                _ = OutputCapture.showError(ename: typeName, evalue: String(describing: error),
                                            traceback: ["\(typeName): \(error)"])
            }
        }
    }

    /// Appends one output (a notebook output dict).
    func append(_ output: [String: NotebookJSON]) {
        var outputs: [NotebookJSON] = []
        if case .array(let current)? = self["outputs"] { outputs = current }
        outputs.append(.object(output))
        set(["outputs": .array(outputs)])
    }

    /// Appends stream text, joined to the last output when that is the same stream (as Jupyter does).
    func appendStream(_ name: String, _ text: String) {
        var outputs: [NotebookJSON] = []
        if case .array(let current)? = self["outputs"] { outputs = current }
        if case .object(var last)? = outputs.last, last["output_type"] == "stream", last["name"] == .string(name),
           case .string(let earlier)? = last["text"] {
            last["text"] = .string(earlier + text)
            outputs[outputs.count - 1] = .object(last)
        } else {
            outputs.append(.object(["output_type": "stream", "name": .string(name), "text": .string(text)]))
        }
        set(["outputs": .array(outputs)])
    }

    /// The text of its outputs (stream text, each display's text/plain, errors): what a frontend without
    /// widgets (nbclient, the console) shows for it.
    override public var textDescription: String {
        guard case .array(let outputs)? = self["outputs"] else { return "" }
        return outputs.compactMap { output -> String? in
            guard case .object(let fields) = output else { return nil }
            switch fields["output_type"]?.stringValue {
            case "stream": return fields["text"]?.stringValue.map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 }
            case "error": return "\(fields["ename"]?.stringValue ?? "Error"): \(fields["evalue"]?.stringValue ?? "")"
            default:
                guard case .object(let data)? = fields["data"] else { return nil }
                return data["text/plain"]?.stringValue
            }
        }.joined(separator: "\n")
    }
}
