import Foundation
import JupyterProtocol

/// The comm handlers (Jupyter's comm protocol): the kernel routes, the worker's Swift objects (widgets)
/// answer. Comms are opened by the kernel side only; see docs/HOW_IT_WORKS.md, "Comms and widgets".
extension KernelCore {
    /// `comm_info_reply`: the open comms, only those of `target_name` when the request names one.
    func commInfo(_ request: Message) {
        let target = request.content["target_name"]?.stringValue
        if target == "jupyter.widget" { noteWidgetFrontend() }
        let comms = comms.targets(named: target).mapValues { JSONValue.object(["target_name": .string($0)]) }
        reply(to: request, on: .shell, ["status": "ok", "comms": .object(comms)])
    }

    /// No target accepts comms opened by the frontend, so each is closed at once (as ipykernel does for an
    /// unknown target); the frontend then falls back (ipywidgets asks for each widget's state instead).
    func commOpen(_ request: Message) {
        let commID = request.content["comm_id"] ?? .string("")
        let target = request.content["target_name"]?.stringValue ?? ""
        if target.hasPrefix("jupyter.widget") { noteWidgetFrontend() }
        KernelLog.write("no comm target \"\(target)\" for frontend comms: closing comm \(commID.stringValue ?? "")")
        publish("comm_close", ["comm_id": commID, "data": .object([:])], parent: request)
    }

    /// A frontend with a widget manager: JupyterLab's (`jupyterlab_widgets`) asks for the kernel's
    /// `jupyter.widget` comms (`comm_info_request`) or opens `jupyter.widget.control` when it connects,
    /// and only a widget manager sends widget messages. nbclient and the console do none of these.
    func noteWidgetFrontend() {
        guard !widgetFrontendNoted else { return }
        widgetFrontendNoted = true
        KernelLog.write("the frontend renders widgets")
        interpreter.frontendHasWidgets()
    }

    /// While a cell runs (polled on the shell thread): takes what waits on the shell socket; comm messages
    /// for open comms are returned for the worker to handle at once (each gets its busy/idle now), malformed
    /// ones are logged and dropped, everything else is queued to be handled after the cell, in order.
    func takeCommsWhileRunning() -> [CommDelivery] {
        var deliveries: [CommDelivery] = []
        for incoming in transport.takeQueuedShellMessages() {
            guard case .message(let message) = incoming,
                  message.msgType == "comm_msg" || message.msgType == "comm_close" else {
                queuedShell.append(incoming)
                continue
            }
            publishStatus("busy", parent: message)
            if let delivery = validComm(message, closing: message.msgType == "comm_close") {
                deliveries.append(CommDelivery(commID: delivery.id, data: delivery.data, closing: message.msgType == "comm_close"))
            }
            publishStatus("idle", parent: message)
        }
        return deliveries
    }

    /// The comm id, entry and data of a frontend comm message for an open comm (removed from the table for
    /// a close), or nil after logging why it is ignored.
    private func validComm(_ message: Message, closing: Bool) -> (id: String, entry: CommTable.Entry, data: JSONValue)? {
        guard let id = message.content["comm_id"]?.stringValue, !id.isEmpty else {
            KernelLog.write("ignored \(message.msgType) \(message.header.msgID): comm_id is missing or not a string")
            return nil
        }
        let data = message.content["data"] ?? .object([:])
        guard data.objectValue != nil else {
            KernelLog.write("ignored \(message.msgType) for comm \(id): data is not an object")
            return nil
        }
        guard let entry = closing ? comms.close(id) : comms.entry(id) else {
            KernelLog.write("ignored \(message.msgType) for unknown comm \(id)")
            return nil
        }
        return (id, entry, data)
    }

    /// A frontend's `comm_msg` / `comm_close`: handed to the worker for a known comm; unknown ids and
    /// malformed messages are logged and change nothing.
    func commMessage(_ message: Message, closing: Bool) {
        guard let (id, entry, data) = validComm(message, closing: closing) else { return }
        if entry.target == "jupyter.widget" { noteWidgetFrontend() }
        // Output goes to the cell that opened the comm; comm messages answer this message.
        let output = RequestOutput(request: entry.origin, session: session, transport: transport, silent: false,
                                   allowStdin: false, comms: comms, commParent: message)
        beginExecution(output)
        let outcome = interpreter.commMessage(commID: id, data: data, closing: closing, context: output)
        output.close()
        endExecution()
        if case .error(let error) = outcome {
            KernelLog.write("comm \(id): handler failed: \(error.ename): \(error.evalue)")
            publish("error", ["ename": .string(error.ename), "evalue": .string(error.evalue),
                              "traceback": .array(error.traceback.map(JSONValue.string))], parent: entry.origin)
        }
    }
}
