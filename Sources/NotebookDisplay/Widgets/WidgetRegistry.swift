import Foundation

/// The worker's open widgets, by comm id, and the entry point through which the worker hands them the
/// frontend's comm messages (`notebook_display_comm`).
enum WidgetRegistry {
    /// Guards every widget's state (one lock: updates are rare and small).
    static let lock = LockedState(())
    private static let widgets = LockedState([String: Widget]())

    static func register(_ widget: Widget) { widgets.withLock { $0[widget.modelID] = widget } }
    static func unregister(_ id: String) { _ = widgets.withLock { $0.removeValue(forKey: id) } }
    static func widget(_ id: String) -> Widget? { widgets.withLock { $0[id] } }

    /// Sends a comm record through the display pipe (nothing outside the kernel).
    static func send(_ record: [String: NotebookJSON]) {
        DisplayPipe.send(.object(record), fallbackText: nil)
    }

    /// Handles one frontend message for widget `id`: `kind` is `msg` (JSON `data` with a `method`) or
    /// `close`. A malformed message is reported on stderr and changes nothing; a handler's error is
    /// returned as `type name\tdescription`.
    static func receive(id: String, json: String, kind: String) -> (typeName: String, description: String)? {
        guard let widget = widget(id) else {
            fputs("widgets: no widget \(id) in this worker; message ignored\n", stderr)
            return nil
        }
        if kind == "close" {
            unregister(id)
            return nil
        }
        guard case .object(let data)? = try? NotebookJSON(parsing: json), let method = data["method"]?.stringValue else {
            fputs("widgets: ignored a message for \(widget.modelName) \(id): its data has no method\n", stderr)
            return nil
        }
        do {
            switch method {
            case "update":
                guard case .object(let changes)? = data["state"] else {
                    fputs("widgets: ignored an update for \(widget.modelName) \(id): state is not an object\n", stderr)
                    return nil
                }
                let keys: [String]
                do {
                    keys = try widget.apply(changes)
                } catch {
                    fputs("widgets: ignored an update for \(widget.modelName) \(id): \(error)\n", stderr)
                    return nil
                }
                send(["msg_type": "comm_msg", "comm_id": .string(id),
                      "data": .object(["method": "echo_update", "state": .object(changes), "buffer_paths": .array([])])])
                try widget.didReceive(keys)
            case "request_state":
                let state = lock.withLock { _ in widget.state }
                send(["msg_type": "comm_msg", "comm_id": .string(id),
                      "data": .object(["method": "update", "state": .object(state), "buffer_paths": .array([])])])
            case "custom":
                try widget.didReceiveCustom(data["content"] ?? .null)
            default:
                fputs("widgets: ignored method \"\(method)\" for \(widget.modelName) \(id)\n", stderr)
            }
        } catch {
            return (String(reflecting: type(of: error)), String(describing: error))
        }
        return nil
    }
}

/// The worker's comm entry point: runs widget `id`'s handling of a frontend message. Returns nil, or a
/// `malloc`ed `type name\tdescription` when a handler threw (the worker frees it).
@_cdecl("notebook_display_comm")
public func notebook_display_comm(_ id: UnsafePointer<CChar>, _ json: UnsafePointer<CChar>,
                                  _ kind: UnsafePointer<CChar>) -> UnsafeMutablePointer<CChar>? {
    guard let failure = WidgetRegistry.receive(id: String(cString: id), json: String(cString: json),
                                               kind: String(cString: kind)) else { return nil }
    var typeName = failure.typeName
    // `Cell3.Oops` → `Oops`, as for a cell's own throws.
    if typeName.hasPrefix("Cell"), let dot = typeName.firstIndex(of: ".") { typeName = String(typeName[typeName.index(after: dot)...]) }
    return strdup(typeName + "\t" + failure.description)
}
