import Foundation

/// A Swift value a widget's `value` field holds.
public protocol WidgetValue {
    /// The JSON form in the widget's state.
    var widgetJSON: NotebookJSON { get }
    /// The value from its JSON form; nil when it does not fit.
    init?(widgetJSON: NotebookJSON)
}

extension Int: WidgetValue {
    public var widgetJSON: NotebookJSON { .number(Double(self)) }
    public init?(widgetJSON: NotebookJSON) {
        guard let d = widgetJSON.numberValue, d == d.rounded(), abs(d) < 9e15 else { return nil }
        self = Int(d)
    }
}

extension Double: WidgetValue {
    public var widgetJSON: NotebookJSON { .number(self) }
    public init?(widgetJSON: NotebookJSON) {
        guard let d = widgetJSON.numberValue else { return nil }
        self = d
    }
}

extension Bool: WidgetValue {
    public var widgetJSON: NotebookJSON { .bool(self) }
    public init?(widgetJSON: NotebookJSON) {
        guard let b = widgetJSON.boolValue else { return nil }
        self = b
    }
}

extension String: WidgetValue {
    public var widgetJSON: NotebookJSON { .string(self) }
    public init?(widgetJSON: NotebookJSON) {
        guard let s = widgetJSON.stringValue else { return nil }
        self = s
    }
}

/// A control that has a value and reports its changes: the controls `interact` accepts.
public protocol InteractiveControl: Widget {
    associatedtype Value
    /// The control's current value.
    var value: Value { get }
    /// Runs `handler` with the new value after every change made in the frontend.
    @discardableResult
    func onChange(_ handler: @escaping (Value) throws -> Void) -> Self
}

/// A widget whose state has a typed `value` field (sliders, Checkbox, Text, Label, Play, FloatProgress).
open class ValueWidget<Value: WidgetValue>: Widget, InteractiveControl, @unchecked Sendable {
    private var handlers: [(Value) throws -> Void] = []

    /// The value; setting it updates every view.
    public var value: Value {
        get { self["value"].flatMap(Value.init(widgetJSON:)) ?? Value(widgetJSON: .number(0))! }
        set { set(["value": newValue.widgetJSON]) }
    }

    /// Runs `handler` with the new value after each change a user makes in the frontend (not after changes
    /// made from Swift). Handlers run in the order they were added; one that throws stops the others and
    /// its error is shown in the cell that created the widget (the widget keeps the new value).
    @discardableResult
    public func onChange(_ handler: @escaping (Value) throws -> Void) -> Self {
        WidgetRegistry.lock.withLock { _ in handlers.append(handler) }
        return self
    }

    override open func didReceive(_ keys: [String]) throws {
        guard keys.contains("value") else { return }
        let current = value
        let all = WidgetRegistry.lock.withLock { _ in handlers }
        for handler in all { try handler(current) }
    }
}
