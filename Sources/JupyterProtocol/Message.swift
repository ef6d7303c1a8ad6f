import Foundation

/// One Jupyter message, as the kernel core handles it (signing and framing belong to `WireCodec`).
public struct Message: Equatable, Sendable {
    /// ZeroMQ routing identities (ROUTER sockets) or the topic (iopub), in frame order.
    public var identities: [Data]
    public var header: Header
    /// The request this message answers; `.object([:])` when there is none.
    public var parentHeader: JSONValue
    public var metadata: [String: JSONValue]
    public var content: JSONValue
    /// Extra binary frames after `content`.
    public var buffers: [Data]

    public init(identities: [Data] = [], header: Header, parentHeader: JSONValue = .object([:]),
                metadata: [String: JSONValue] = [:], content: JSONValue = .object([:]), buffers: [Data] = []) {
        self.identities = identities
        self.header = header
        self.parentHeader = parentHeader
        self.metadata = metadata
        self.content = content
        self.buffers = buffers
    }

    /// Shorthand for `header.msgType`.
    public var msgType: String { header.msgType }

    /// The parent header's `msg_id`, if any.
    public var parentMessageID: String? { parentHeader["msg_id"]?.stringValue }
}
