import Foundation

/// Fields every DOM widget of `@jupyter-widgets/controls` 2.0.0 has, with their defaults; a
/// `LayoutModel` and the style model `style` (a `@jupyter-widgets/base` / controls model) are opened for it.
func domState(description: String, style: String?, _ fields: [String: NotebookJSON]) -> [String: NotebookJSON] {
    var state: [String: NotebookJSON] = [
        "_dom_classes": .array([]), "description": .string(description), "description_allow_html": false,
        "disabled": false, "tabbable": .null, "tooltip": .null,
        "layout": Widget(model: "LayoutModel", view: "LayoutView", module: Widget.base, state: [:]).reference,
    ]
    if let style {
        state["style"] = Widget(model: style, view: "StyleView", viewModule: Widget.base,
                                state: ["description_width": ""]).reference
    }
    state.merge(fields) { _, new in new }
    return state
}

/// An integer slider (`IntSliderModel`): `IntSlider(4, in: 1...64, description: "units")`.
public final class IntSlider: ValueWidget<Int>, @unchecked Sendable {
    /// A slider at `value` over `range` (the value is clamped into it) in steps of `step`.
    public init(_ value: Int = 0, in range: ClosedRange<Int> = 0...100, step: Int = 1, description: String = "") {
        super.init(model: "IntSliderModel", view: "IntSliderView", state: domState(description: description, style: "SliderStyleModel", [
            "value": .number(Double(min(max(value, range.lowerBound), range.upperBound))),
            "min": .number(Double(range.lowerBound)), "max": .number(Double(range.upperBound)),
            "step": .number(Double(step)), "orientation": "horizontal", "readout": true, "readout_format": "d",
            "continuous_update": false, "behavior": "drag-tap",
        ]))
        integerKeys = ["value", "min", "max", "step"]
    }
}

/// A floating-point slider (`FloatSliderModel`).
public final class FloatSlider: ValueWidget<Double>, @unchecked Sendable {
    /// A slider at `value` over `range` in steps of `step`.
    public init(_ value: Double = 0, in range: ClosedRange<Double> = 0...1, step: Double = 0.1, description: String = "") {
        super.init(model: "FloatSliderModel", view: "FloatSliderView", state: domState(description: description, style: "SliderStyleModel", [
            "value": .number(min(max(value, range.lowerBound), range.upperBound)),
            "min": .number(range.lowerBound), "max": .number(range.upperBound), "step": .number(step),
            "orientation": "horizontal", "readout": true, "readout_format": ".2f", "continuous_update": false,
            "behavior": "drag-tap",
        ]))
    }
}

/// A check box (`CheckboxModel`).
public final class Checkbox: ValueWidget<Bool>, @unchecked Sendable {
    public init(_ value: Bool = false, description: String = "") {
        super.init(model: "CheckboxModel", view: "CheckboxView", state: domState(description: description, style: "CheckboxStyleModel", [
            "value": .bool(value), "indent": true,
        ]))
    }
}

/// A one-line text field (`TextModel`).
public final class Text: ValueWidget<String>, @unchecked Sendable {
    public init(_ value: String = "", placeholder: String = "", description: String = "") {
        super.init(model: "TextModel", view: "TextView", state: domState(description: description, style: "TextStyleModel", [
            "value": .string(value), "placeholder": .string(placeholder), "continuous_update": false,
        ]))
    }
}

/// A line of text (`LabelModel`); set `value` to change it.
public final class Label: ValueWidget<String>, @unchecked Sendable {
    public init(_ value: String = "") {
        super.init(model: "LabelModel", view: "LabelView", state: domState(description: "", style: "LabelStyleModel", [
            "value": .string(value), "placeholder": "",
        ]))
    }
}

/// A play / pause control that steps an integer `value` through a range (`PlayModel`).
public final class Play: ValueWidget<Int>, @unchecked Sendable {
    /// Steps from `range.lowerBound` by `step` every `interval` milliseconds.
    public init(_ value: Int = 0, in range: ClosedRange<Int> = 0...100, step: Int = 1, interval: Int = 100,
                description: String = "") {
        super.init(model: "PlayModel", view: "PlayView", state: domState(description: description, style: nil, [
            "value": .number(Double(value)), "min": .number(Double(range.lowerBound)),
            "max": .number(Double(range.upperBound)), "step": .number(Double(step)),
            "interval": .number(Double(interval)), "show_repeat": true,
            "playing": false, "repeat": false,
        ]))
        integerKeys = ["value", "min", "max", "step", "interval"]
    }
}

/// A horizontal progress bar (`FloatProgressModel`): set `value` as work proceeds.
public final class FloatProgress: ValueWidget<Double>, @unchecked Sendable {
    public init(_ value: Double = 0, in range: ClosedRange<Double> = 0...1, description: String = "") {
        super.init(model: "FloatProgressModel", view: "ProgressView", state: domState(description: description, style: "ProgressStyleModel", [
            "value": .number(value), "min": .number(range.lowerBound), "max": .number(range.upperBound),
            "bar_style": "", "orientation": "horizontal",
        ]))
    }
}
