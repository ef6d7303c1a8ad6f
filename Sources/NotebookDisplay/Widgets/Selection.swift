import Foundation

/// A choice among labelled options whose value is the chosen label (Dropdown, ToggleButtons).
open class SelectionWidget: Widget, InteractiveControl, @unchecked Sendable {
    /// The labels offered.
    public let options: [String]
    private var handlers: [(String) throws -> Void] = []

    init(model: String, view: String, style: String?, options: [String], value: String?, description: String,
         extra: [String: NotebookJSON]) throws(WidgetStateError) {
        guard !options.isEmpty else {
            throw WidgetStateError(key: "options", expected: "at least one option", given: .array([]))
        }
        let index = value.map { options.firstIndex(of: $0) } ?? 0
        guard let index else {
            throw WidgetStateError(key: "value", expected: "one of \(options)", given: .string(value ?? ""))
        }
        self.options = options
        super.init(model: model, view: view, state: domState(description: description, style: style, extra.merging([
            "_options_labels": .array(options.map(NotebookJSON.string)), "index": .number(Double(index)),
        ]) { _, new in new }))
        integerKeys = ["index"]
    }

    /// The position of the chosen option.
    public var index: Int {
        get { self["index"].flatMap(Int.init(widgetJSON:)).map { min(max($0, 0), options.count - 1) } ?? 0 }
        set { set(["index": .number(Double(min(max(newValue, 0), options.count - 1)))]) }
    }

    /// The chosen label; setting a label that is not an option changes nothing.
    public var value: String {
        get { options[index] }
        set { if let i = options.firstIndex(of: newValue) { index = i } }
    }

    /// Runs `handler` with the chosen label after each choice made in the frontend.
    @discardableResult
    public func onChange(_ handler: @escaping (String) throws -> Void) -> Self {
        WidgetRegistry.lock.withLock { _ in handlers.append(handler) }
        return self
    }

    override func apply(_ changes: [String: NotebookJSON]) throws(WidgetStateError) -> [String] {
        if let index = changes["index"], let i = Int(widgetJSON: index), !options.indices.contains(i) {
            throw WidgetStateError(key: "index", expected: "an index in 0..<\(options.count)", given: index)
        }
        return try super.apply(changes)
    }

    override open func didReceive(_ keys: [String]) throws {
        guard keys.contains("index") else { return }
        let current = value
        for handler in WidgetRegistry.lock.withLock({ _ in handlers }) { try handler(current) }
    }
}

/// A drop-down list (`DropdownModel`): `Dropdown(["tanh", "relu"], description: "activation")`.
public final class Dropdown: SelectionWidget, @unchecked Sendable {
    /// Throws when `options` is empty or `value` is not one of them.
    public init(_ options: [String], value: String? = nil, description: String = "") throws(WidgetStateError) {
        try super.init(model: "DropdownModel", view: "DropdownView", style: "DescriptionStyleModel", options: options,
                       value: value, description: description, extra: [:])
    }
}

/// A row of buttons of which one is chosen (`ToggleButtonsModel`).
public final class ToggleButtons: SelectionWidget, @unchecked Sendable {
    /// Throws when `options` is empty or `value` is not one of them.
    public init(_ options: [String], value: String? = nil, description: String = "") throws(WidgetStateError) {
        try super.init(model: "ToggleButtonsModel", view: "ToggleButtonsView", style: "ToggleButtonsStyleModel",
                       options: options, value: value, description: description,
                       extra: ["button_style": "", "icons": .array([]), "tooltips": .array([])])
    }
}

/// A push button (`ButtonModel`); `onClick` runs on each click.
public final class Button: Widget, @unchecked Sendable {
    private var handlers: [() throws -> Void] = []

    public init(description: String, buttonStyle: String = "") {
        super.init(model: "ButtonModel", view: "ButtonView", state: domState(description: description, style: "ButtonStyleModel", [
            "button_style": .string(buttonStyle), "icon": "",
        ]))
    }

    /// Runs `handler` on every click in the frontend.
    @discardableResult
    public func onClick(_ handler: @escaping () throws -> Void) -> Self {
        WidgetRegistry.lock.withLock { _ in handlers.append(handler) }
        return self
    }

    override public func didReceiveCustom(_ content: NotebookJSON) throws {
        guard case .object(let fields) = content, fields["event"]?.stringValue == "click" else { return }
        for handler in WidgetRegistry.lock.withLock({ _ in handlers }) { try handler() }
    }
}
