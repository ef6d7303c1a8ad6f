import Foundation

/// Shows `controls` above an Output widget and runs `body` with their values now and after every change,
/// replacing the output each time (the column of controls and output is displayed; keep the controls
/// to read or set them later). What `body` prints or shows with `display(_:)` appears in the output; an
/// error it throws, or a trap, is shown there and the controls keep working. `interact(("units", 1...64))`
/// makes the controls from labelled values (`InteractAbbreviation`).
public func interact<A: InteractiveControl>(_ a: A, _ body: @escaping (A.Value) throws -> Void) {
    interactive([a]) { try body(a.value) }
}

/// `interact` with two controls.
public func interact<A: InteractiveControl, B: InteractiveControl>(
    _ a: A, _ b: B, _ body: @escaping (A.Value, B.Value) throws -> Void) {
    interactive([a, b]) { try body(a.value, b.value) }
}

/// `interact` with three controls.
public func interact<A: InteractiveControl, B: InteractiveControl, C: InteractiveControl>(
    _ a: A, _ b: B, _ c: C, _ body: @escaping (A.Value, B.Value, C.Value) throws -> Void) {
    interactive([a, b, c]) { try body(a.value, b.value, c.value) }
}

/// `interact` with four controls.
public func interact<A: InteractiveControl, B: InteractiveControl, C: InteractiveControl, D: InteractiveControl>(
    _ a: A, _ b: B, _ c: C, _ d: D, _ body: @escaping (A.Value, B.Value, C.Value, D.Value) throws -> Void) {
    interactive([a, b, c, d]) { try body(a.value, b.value, c.value, d.value) }
}

private func interactive(_ controls: [any InteractiveControl], _ run: @escaping () throws -> Void) {
    let output = Output()
    let refresh = {
        output.clear()
        output.capture(run)
    }
    for control in controls { subscribe(control) { refresh() } }
    let box = VBox(controls.map { $0 as Widget } + [output])
    refresh()
    display(box)
}

private func subscribe<C: InteractiveControl>(_ control: C, _ action: @escaping () -> Void) {
    control.onChange { _ in action() }
}
