import Foundation

/// Why a multipart message was rejected. The kernel logs these and drops the message.
public enum WireError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No `<IDS|MSG>` frame.
    case missingDelimiter
    /// Fewer than the five frames (signature, header, parent, metadata, content) after `<IDS|MSG>`.
    case tooFewFrames(Int)
    /// The signature is absent, malformed or does not match the frames.
    case badSignature
    /// A JSON frame did not parse, or was not an object; names the frame.
    case invalidJSON(frame: String)
    /// The header lacks `msg_id`/`msg_type` or has a non-string standard field.
    case invalidHeader(String)
    /// A correctly signed message whose signature was already accepted once: a replay.
    case replayed(msgID: String)

    public var description: String {
        switch self {
        case .missingDelimiter: return "no <IDS|MSG> delimiter frame"
        case .tooFewFrames(let n): return "expected at least 5 frames after <IDS|MSG>, given \(n)"
        case .badSignature: return "the HMAC signature does not match"
        case .invalidJSON(let frame): return "the \(frame) frame is not a JSON object"
        case .invalidHeader(let reason): return "invalid header: \(reason)"
        case .replayed(let id): return "message \(id) repeats the signature of one already received (a replay)"
        }
    }
}

/// A signed message with a valid header whose other frames could not be read: the kernel answers it with
/// an error reply (for a `*_request`) instead of dropping it silently.
public struct UnreadableMessage: Error, Equatable, CustomStringConvertible, Sendable {
    /// The routing identities, to address the reply.
    public let identities: [Data]
    /// The request's header, the reply's parent.
    public let header: Header
    /// What could not be read, naming the frame.
    public let reason: String

    /// A message whose `header` was read but whose other frames were not, for the reason given.
    public init(identities: [Data], header: Header, reason: String) {
        self.identities = identities
        self.header = header
        self.reason = reason
    }

    public var description: String { "\(header.msgType) \(header.msgID): \(reason)" }
}

/// Turns messages into ZeroMQ frames and back:
/// `[identities…] <IDS|MSG> signature header parent_header metadata content [buffers…]`.
public struct WireCodec: Sendable {
    /// The delimiter frame between routing identities and the message proper.
    public static let delimiter = Data("<IDS|MSG>".utf8)
    /// Signs outgoing and checks incoming messages.
    public let signer: MessageSigner

    /// A codec for the connection file's `key` ("" for unsigned messages).
    public init(key: String) { signer = MessageSigner(key: key) }

    /// The frames of a message, signed.
    public func encode(_ message: Message) throws -> [Data] {
        let parts = [
            try message.header.json.encoded(),
            try message.parentHeader.encoded(),
            try JSONValue.object(message.metadata).encoded(),
            try message.content.encoded(),
        ]
        var frames = message.identities
        frames.reserveCapacity(frames.count + 6 + message.buffers.count)
        frames.append(Self.delimiter)
        frames.append(Data(signer.signature(of: parts).utf8))
        frames.append(contentsOf: parts)
        frames.append(contentsOf: message.buffers)
        return frames
    }

    /// The signature frame of received frames (the one after `<IDS|MSG>`), or nil when there is none.
    public static func signature(of frames: [Data]) -> Data? {
        guard let split = frames.firstIndex(of: delimiter), split + 1 < frames.endIndex else { return nil }
        return frames[split + 1]
    }

    /// Parses and verifies received frames. The signature is checked before any JSON is parsed.
    public func decode(_ frames: [Data]) throws -> Message {
        guard let split = frames.firstIndex(of: Self.delimiter) else { throw WireError.missingDelimiter }
        let rest = frames[(split + 1)...]
        guard rest.count >= 5 else { throw WireError.tooFewFrames(rest.count) }
        let start = rest.startIndex
        let signed = frames[(start + 1)...(start + 4)]
        guard signer.isValid(signature: frames[start], of: signed) else { throw WireError.badSignature }

        func object(_ index: Int, _ name: String) throws -> JSONValue {
            guard let value = try? JSONValue.decode(frames[index]), value.objectValue != nil else {
                throw WireError.invalidJSON(frame: name)
            }
            return value
        }
        let header = try Header(json: object(start + 1, "header"))
        // With a readable header the sender can be answered, so later frames fail with what a reply needs.
        func body(_ index: Int, _ name: String) throws -> JSONValue {
            do {
                return try object(index, name)
            } catch {
                throw UnreadableMessage(identities: Array(frames[..<split]), header: header,
                                        reason: "the \(name) frame is not a JSON object")
            }
        }
        let parent = try body(start + 2, "parent_header")
        let metadata = try body(start + 3, "metadata").objectValue ?? [:]
        let content = try body(start + 4, "content")
        return Message(identities: Array(frames[..<split]), header: header, parentHeader: parent, metadata: metadata,
                       content: content, buffers: Array(frames[(start + 5)...]))
    }
}
