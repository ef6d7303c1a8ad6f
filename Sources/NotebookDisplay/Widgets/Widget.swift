import Foundation

/// A Jupyter widget living in the worker: a model whose state is kept in sync with JupyterLab's widget
/// manager over a comm, in the ipywidgets message protocol version 2 (`@jupyter-widgets/controls` and
/// `@jupyter-widgets/base` 2.0.0 models, rendered by `jupyterlab_widgets`; no JavaScript of ours).
///
/// Creating a widget opens its comm (`comm_open` with the full state); changing a property sends an
/// `update`; a frontend's `update` is checked against the state's types, applied, echoed
/// (`echo_update`) and passed to the widget's handlers. `display(widget)` shows it. Outside the kernel a
/// widget is a plain object and `display` prints its text form.
open class Widget: NotebookDisplayable, @unchecked Sendable {
    /// The comm id, which is also the model id views refer to.
    public let modelID: String
    /// The model's name (`IntSliderModel`, …), for messages.
    public let modelName: String
    var state: [String: NotebookJSON]

    /// The ipywidgets protocol version sent in `comm_open` metadata.
    public static let protocolVersion = "2.1.0"
    /// The module of the controls' models and views.
    public static let controls = "@jupyter-widgets/controls"
    /// The module of the base models (layout, styles' views).
    public static let base = "@jupyter-widgets/base"
    /// The module of the Output widget.
    public static let output = "@jupyter-widgets/output"

    /// Opens a widget of `model` / `view` with `state` (the `_model_*`/`_view_*` fields are added).
    /// - Parameters:
    ///   - module: the model's module; the view's is the same, except `viewModule` when given.
    ///   - moduleVersion: the module's semantic version (2.0.0 for controls and base, 1.0.0 for output).
    public init(model: String, view: String?, module: String = Widget.controls, moduleVersion: String = "2.0.0",
                viewModule: String? = nil, state: [String: NotebookJSON]) {
        modelID = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        modelName = model
        var full = state
        full["_model_name"] = .string(model)
        full["_model_module"] = .string(module)
        full["_model_module_version"] = .string(moduleVersion)
        full["_view_name"] = view.map(NotebookJSON.string) ?? .null
        full["_view_module"] = .string(viewModule ?? module)
        full["_view_module_version"] = .string(viewModule == Widget.base ? "2.0.0" : moduleVersion)
        full["_view_count"] = .null
        self.state = full
        WidgetRegistry.register(self)
        WidgetRegistry.send(["msg_type": "comm_open", "comm_id": .string(modelID), "target_name": "jupyter.widget",
                             "data": .object(["state": .object(full), "buffer_paths": .array([])]),
                             "metadata": .object(["version": .string(Widget.protocolVersion)])])
    }

    /// A reference to this widget inside another widget's state (`IPY_MODEL_<id>`).
    public var reference: NotebookJSON { .string("IPY_MODEL_" + modelID) }

    /// The widget view bundle JupyterLab renders, with a text fallback for other frontends.
    public var mimeBundle: MIMEBundle {
        var bundle = MIMEBundle(plainText: textDescription)
        bundle.data["application/vnd.jupyter.widget-view+json"] = .object([
            "version_major": 2, "version_minor": 0, "model_id": .string(modelID),
        ])
        return bundle
    }

    /// The text form shown where widgets do not render.
    open var textDescription: String {
        let description = self["description"]?.stringValue ?? ""
        let value = self["value"].map { $0.encoded } ?? ""
        return "\(modelName.replacingOccurrences(of: "Model", with: ""))(\(description.isEmpty ? "" : description + ": ")\(value))"
    }

    /// A state field (nil when the model has none).
    public subscript(key: String) -> NotebookJSON? {
        WidgetRegistry.lock.withLock { _ in state[key] }
    }

    /// Sets state fields here and in every frontend (one `update` message).
    public func set(_ changes: [String: NotebookJSON]) {
        WidgetRegistry.lock.withLock { _ in state.merge(changes) { _, new in new } }
        WidgetRegistry.send(["msg_type": "comm_msg", "comm_id": .string(modelID),
                             "data": .object(["method": "update", "state": .object(changes), "buffer_paths": .array([])])])
    }

    /// Closes the comm: frontends remove the widget's views; it no longer receives messages.
    public func close() {
        WidgetRegistry.unregister(modelID)
        WidgetRegistry.send(["msg_type": "comm_close", "comm_id": .string(modelID), "data": .object([:])])
    }

    /// Applies a frontend's state update: every field must exist and keep its JSON kind (an integer field
    /// stays an integer), else nothing changes and the reason is thrown. Returns the changed keys.
    func apply(_ changes: [String: NotebookJSON]) throws(WidgetStateError) -> [String] {
        let outcome: Result<[String], WidgetStateError> = WidgetRegistry.lock.withLock { _ in
            for (key, value) in changes {
                guard let current = state[key] else {
                    return .failure(WidgetStateError(key: key, expected: "a field of \(modelName)", given: value))
                }
                if let problem = check(key, value, against: current) { return .failure(problem) }
            }
            var changed: [String] = []
            for (key, value) in changes where state[key] != value {
                state[key] = value
                changed.append(key)
            }
            return .success(changed.sorted())
        }
        return try outcome.get()
    }

    /// Why `value` cannot replace `current` in field `key`, or nil when it can.
    func check(_ key: String, _ value: NotebookJSON, against current: NotebookJSON) -> WidgetStateError? {
        switch (current, value) {
        case (.null, _):
            return nil
        case (.number, .number(let new)):
            if integerKeys.contains(key), new != new.rounded() {
                return WidgetStateError(key: key, expected: "an integer", given: value)
            }
            return nil
        case (.bool, .bool), (.string, .string), (.array, .array), (.object, .object):
            return nil
        default:
            return WidgetStateError(key: key, expected: current.kindName, given: value)
        }
    }

    /// Fields that must stay integers (an IntSlider's value, a Dropdown's index).
    var integerKeys: Set<String> = []

    /// Called after a frontend's update changed `keys` (on the comm handler's thread); subclasses run their
    /// change handlers. A handler's error is thrown on to the kernel, which shows it in the cell that
    /// created the widget.
    open func didReceive(_ keys: [String]) throws {}

    /// Called for a frontend's `custom` message (a Button's click).
    open func didReceiveCustom(_ content: NotebookJSON) throws {}
}

/// A frontend's state update that does not fit the widget's model.
public struct WidgetStateError: Error, CustomStringConvertible {
    public let key: String
    public let expected: String
    public let given: NotebookJSON
    public var description: String { "state field \"\(key)\": expected \(expected), given \(given.encoded)" }
}

extension NotebookJSON {
    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    var numberValue: Double? { if case .number(let d) = self { return d } else { return nil } }
    var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
