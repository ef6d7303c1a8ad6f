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

    /// Runs `body` with this widget receiving what `display(_:)` shows on this thread; an error `body`
    /// throws is shown here as an error output (and not rethrown), as Jupyter shows a cell's error.
    public func capture(_ body: () throws -> Void) {
        let key = Output.threadKey
        let previous = Thread.current.threadDictionary[key]
        Thread.current.threadDictionary[key] = self
        defer { Thread.current.threadDictionary[key] = previous }
        do {
            try body()
        } catch {
            let typeName = String(describing: type(of: error))
            append(["output_type": "error", "ename": .string(typeName), "evalue": .string(String(describing: error)),
                    "traceback": .array([.string("\(typeName): \(error)")])])
        }
    }

    /// Appends one output (a notebook output dict).
    func append(_ output: [String: NotebookJSON]) {
        var outputs: [NotebookJSON] = []
        if case .array(let current)? = self["outputs"] { outputs = current }
        outputs.append(.object(output))
        set(["outputs": .array(outputs)])
    }

    static let threadKey = "NotebookDisplay.Output.capturing"

    /// The Output widget capturing this thread's displays, if any.
    static var capturing: Output? { Thread.current.threadDictionary[threadKey] as? Output }

    override public var textDescription: String { "Output" }
}

extension Output {
    /// Shows `bundle` in the capturing Output widget, if any; false when none captures.
    static func captureDisplay(_ bundle: MIMEBundle) -> Bool {
        guard let output = capturing else { return false }
        output.append(["output_type": "display_data", "data": .object(bundle.data),
                       "metadata": .object(bundle.metadata)])
        return true
    }
}
