import Foundation

/// A display that can be replaced in place later (Jupyter's `display_id`).
///
/// `update(_:)` replaces what the display shows (an `update_display_data` message with the same id);
/// this is how a progress bar or a growing plot changes without adding output.
public final class DisplayHandle: @unchecked Sendable {
    /// The Jupyter display id, unique per display.
    public let id: String

    init(id: String) { self.id = id }

    /// Replaces the shown value with `value`'s bundle (outside the kernel: prints its text form again).
    public func update<T>(_ value: T) {
        let bundle = displayBundle(for: value)
        DisplayPipe.send(record(type: "update_display_data", bundle: bundle, displayID: id),
                         fallbackText: bundle.plainText)
    }

    /// Blanks this display (an update to an empty text). Jupyter has no message that removes a single
    /// display; `clearOutput()` clears the whole cell output instead.
    public func clear() {
        DisplayPipe.send(record(type: "update_display_data", bundle: MIMEBundle(plainText: ""), displayID: id),
                         fallbackText: nil)
    }
}

/// Shows `value` in the notebook and returns a handle to update it in place.
///
/// A `NotebookDisplayable` value sends its MIME bundle; any other value shows its `description` as text
/// (a `String` shows as-is, unquoted: `display` is how a cell writes text into a display slot).
/// Outside the kernel (plain SwiftPM) the text form is printed to stdout.
/// - Parameters:
///   - value: what to show.
///   - id: a display id to reuse (e.g. to update it from another cell); a fresh one by default (also
///     for an empty id, which Jupyter would not route updates to).
@discardableResult
public func display<T>(_ value: T, id: String? = nil) -> DisplayHandle {
    let handle = DisplayHandle(id: id.flatMap { $0.isEmpty ? nil : $0 } ?? newDisplayID())
    let bundle = displayBundle(for: value)
    // Inside `Output.capture` (a widget callback run by `interact`), the Output widget shows it; a handler
    // run while another cell runs sends it to the cell that created its widget.
    if OutputCapture.route(bundle) { return handle }
    DisplayPipe.send(record(type: "display_data", bundle: bundle, displayID: handle.id), fallbackText: bundle.plainText)
    return handle
}

/// Clears the current cell's output; with `wait: true` the front end clears only when new output
/// arrives, which avoids flicker in animations.
public func clearOutput(wait: Bool = false) {
    DisplayPipe.send(.object(["msg_type": "clear_output", "wait": .bool(wait)]), fallbackText: nil)
}

/// Shows the value of a cell's last expression as the cell's result (`Out[n]`); the cell engine calls it.
///
/// Nothing is shown for `Void` (and `Void?`), as in a REPL, nor for the `DisplayHandle` a `display` call
/// returns. `NotebookDisplayable` values send their bundle. Other values show text the way a REPL would:
/// strings quoted with escapes (`String(reflecting:)`, like Python's repr), everything else by
/// `String(describing:)`.
public func _notebookCellResult<T>(_ value: T) {
    if T.self == Void.self || T.self == Optional<Void>.self { return }
    // `display(x)` as a cell's last line returns its handle; showing "DisplayHandle" under the display
    // would be noise (IPython's display() likewise returns None).
    if value is DisplayHandle { return }
    let bundle = resultBundle(for: value)
    DisplayPipe.send(.object(["msg_type": "execute_result", "data": .object(bundle.data),
                              "metadata": .object(bundle.metadata)]),
                     fallbackText: bundle.plainText)
}

/// Installs NotebookDisplay into the worker: connects the display pipe named by `SWIFT_LSTM_DISPLAY_FD`
/// and replaces LSTMKit's text progress lines with the live progress display. Called once by the worker
/// after it loads libLSTMKit.so.
@_cdecl("notebook_display_install")
public func notebook_display_install() {
    if DisplayPipe.connectFromEnvironment() {
        installLiveTrainingProgress()
    }
}

/// The bundle `display(_:)` sends for a value.
func displayBundle<T>(for value: T) -> MIMEBundle {
    if let rich = value as? NotebookDisplayable { return rich.mimeBundle }
    return MIMEBundle(plainText: String(describing: value))
}

/// The bundle a cell result sends: like `displayBundle`, but text quoted as a REPL shows it.
func resultBundle<T>(for value: T) -> MIMEBundle {
    if let rich = value as? NotebookDisplayable { return rich.mimeBundle }
    switch value {
    case is String, is Substring, is Character:
        return MIMEBundle(plainText: String(reflecting: value))
    default:
        return MIMEBundle(plainText: String(describing: value))
    }
}

func record(type: String, bundle: MIMEBundle, displayID: String?) -> NotebookJSON {
    var fields: [String: NotebookJSON] = [
        "msg_type": .string(type), "data": .object(bundle.data), "metadata": .object(bundle.metadata),
    ]
    if let displayID { fields["transient"] = .object(["display_id": .string(displayID)]) }
    return .object(fields)
}

private func newDisplayID() -> String { UUID().uuidString.lowercased() }
