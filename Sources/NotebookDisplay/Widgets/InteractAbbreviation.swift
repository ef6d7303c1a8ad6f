import Foundation

/// A value `interact` turns into a control, as ipywidgets' abbreviations do: a range gives a slider
/// (starting at its middle), a `Bool` a check box, an array of strings a drop-down (starting at its first
/// option). The label beside it becomes the control's description:
///
/// ```swift
/// interact(("units", 1...64), ("timesteps", 1...20), ("returnSequences", true)) { u, t, r in … }
/// ```
public protocol InteractAbbreviation {
    /// The control made for this value.
    associatedtype Control: InteractiveControl
    /// A control described by `description`.
    func makeControl(description: String) -> Control
}

/// A number type a range of which `interact` shows as a slider.
public protocol SliderBound: Comparable {
    /// The slider (IntSlider, FloatSlider).
    associatedtype Slider: InteractiveControl where Slider.Value == Self
    /// A slider over `range`, at its middle.
    static func slider(over range: ClosedRange<Self>, description: String) -> Slider
}

extension Int: SliderBound {
    public static func slider(over range: ClosedRange<Int>, description: String) -> IntSlider {
        IntSlider(range.lowerBound + (range.upperBound - range.lowerBound) / 2, in: range, description: description)
    }
}

extension Double: SliderBound {
    /// A hundred steps across the range.
    public static func slider(over range: ClosedRange<Double>, description: String) -> FloatSlider {
        let width = range.upperBound - range.lowerBound
        return FloatSlider((range.lowerBound + range.upperBound) / 2, in: range, step: width > 0 ? width / 100 : 0.1,
                           description: description)
    }
}

extension ClosedRange: InteractAbbreviation where Bound: SliderBound {
    public func makeControl(description: String) -> Bound.Slider { Bound.slider(over: self, description: description) }
}

extension Bool: InteractAbbreviation {
    public func makeControl(description: String) -> Checkbox { Checkbox(self, description: description) }
}

extension Array: InteractAbbreviation where Element == String {
    /// The options must not be empty (a program error: the trap names the control).
    public func makeControl(description: String) -> Dropdown {
        guard let dropdown = try? Dropdown(self, description: description) else {
            preconditionFailure("interact: \"\(description)\" needs at least one option, given []")
        }
        return dropdown
    }
}

/// `interact` with one labelled abbreviation: `interact(("units", 1...64)) { units in … }`.
public func interact<A: InteractAbbreviation>(_ a: (String, A), _ body: @escaping (A.Control.Value) throws -> Void) {
    interact(a.1.makeControl(description: a.0), body)
}

/// `interact` with two labelled abbreviations.
public func interact<A: InteractAbbreviation, B: InteractAbbreviation>(
    _ a: (String, A), _ b: (String, B), _ body: @escaping (A.Control.Value, B.Control.Value) throws -> Void) {
    interact(a.1.makeControl(description: a.0), b.1.makeControl(description: b.0), body)
}

/// `interact` with three labelled abbreviations.
public func interact<A: InteractAbbreviation, B: InteractAbbreviation, C: InteractAbbreviation>(
    _ a: (String, A), _ b: (String, B), _ c: (String, C),
    _ body: @escaping (A.Control.Value, B.Control.Value, C.Control.Value) throws -> Void) {
    interact(a.1.makeControl(description: a.0), b.1.makeControl(description: b.0), c.1.makeControl(description: c.0), body)
}

/// `interact` with four labelled abbreviations.
public func interact<A: InteractAbbreviation, B: InteractAbbreviation, C: InteractAbbreviation, D: InteractAbbreviation>(
    _ a: (String, A), _ b: (String, B), _ c: (String, C), _ d: (String, D),
    _ body: @escaping (A.Control.Value, B.Control.Value, C.Control.Value, D.Control.Value) throws -> Void) {
    interact(a.1.makeControl(description: a.0), b.1.makeControl(description: b.0), c.1.makeControl(description: c.0),
             d.1.makeControl(description: d.0), body)
}
