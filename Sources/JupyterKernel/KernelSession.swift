import Foundation
import JupyterProtocol

/// Creates the headers of the kernel's own messages: one session id for the life of the process.
public struct KernelSession: Sendable {
    /// The `session` of every header this kernel sends.
    public let id: String
    /// The `username` of every header this kernel sends.
    public let username: String

    /// A session with a fresh id and the process's user.
    public init(id: String = UUID().uuidString.lowercased(),
                username: String = ProcessInfo.processInfo.environment["USER"] ?? "kernel") {
        self.id = id
        self.username = username
    }

    /// A message answering or caused by `parent` (nil for none).
    public func message(_ type: String, content: JSONValue, parent: Message?, identities: [Data] = [],
                        metadata: [String: JSONValue] = [:]) -> Message {
        Message(identities: identities, header: Header(session: id, username: username, msgType: type),
                parentHeader: parent?.header.json ?? .object([:]), metadata: metadata, content: content)
    }

    /// An iopub message; its single identity frame is the topic `kernel.<session>.<type>` (as ipykernel does).
    public func broadcast(_ type: String, content: JSONValue, parent: Message?) -> Message {
        message(type, content: content, parent: parent, identities: [Data("kernel.\(id).\(type)".utf8)])
    }
}
