import Foundation

/// One Jupyter message, as the kernel core handles it (signing and framing belong to `WireCodec`).
public struct Message: Equatable, Sendable {
    /// ZeroMQ routing identities (ROUTER sockets) or the topic (iopub), in frame order.
    public var identities: [Data]
    /// This message's own header.
    public var header: Header
    /// The request this message answers; `.object([:])` when there is none.
    public var parentHeader: JSONValue
    /// The `metadata` frame (a JSON object).
    public var metadata: [String: JSONValue]
    /// The `content` frame (a JSON object whose keys depend on `msgType`).
    public var content: JSONValue
    /// Extra binary frames after `content`.
    public var buffers: [Data]

    /// A message from its parts; the defaults are empty objects and no identities or buffers.
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
