import Foundation

/// The protocol version this kernel speaks; above 5.1 so clients accept 5.2+ header keys.
public let jupyterProtocolVersion = "5.4"

/// A message header (`header` and `parent_header` frames).
public struct Header: Equatable, Sendable {
    /// A unique id; this kernel uses lower-case UUIDs.
    public var msgID: String
    /// The sending session's id (constant for the life of a kernel process).
    public var session: String
    /// The sender's user name (informational).
    public var username: String
    /// ISO-8601 with microseconds and time zone, see `Timestamp`.
    public var date: String
    /// e.g. `execute_request`, `status`.
    public var msgType: String
    /// The protocol version the sender speaks, e.g. "5.4".
    public var version: String
    /// Keys this struct does not model (e.g. `subshell_id`), kept so a reply echoes its request's header intact.
    public var extra: [String: JSONValue]

    /// A header; by default a new id, the current time and this kernel's protocol version.
    public init(msgID: String = Header.newMessageID(), session: String, username: String, date: String = Timestamp.iso8601(),
                msgType: String, version: String = jupyterProtocolVersion, extra: [String: JSONValue] = [:]) {
        self.msgID = msgID
        self.session = session
        self.username = username
        self.date = date
        self.msgType = msgType
        self.version = version
        self.extra = extra
    }

    /// A fresh message id.
    public static func newMessageID() -> String { UUID().uuidString.lowercased() }

    /// The header as a JSON object.
    public var json: JSONValue {
        var object = extra
        object["msg_id"] = .string(msgID)
        object["session"] = .string(session)
        object["username"] = .string(username)
        object["date"] = .string(date)
        object["msg_type"] = .string(msgType)
        object["version"] = .string(version)
        return .object(object)
    }

    /// Reads a header object. `msg_id` and `msg_type` are required; the other standard keys default to "".
    public init(json: JSONValue) throws {
        guard var object = json.objectValue else { throw WireError.invalidHeader("the header is \(json.kindName)") }
        func take(_ key: String, required: Bool) throws -> String {
            guard let value = object.removeValue(forKey: key) else {
                if required { throw WireError.invalidHeader("missing \"\(key)\"") }
                return ""
            }
            guard let string = value.stringValue else {
                throw WireError.invalidHeader("\"\(key)\" must be a string, given \(value.kindName)")
            }
            return string
        }
        msgID = try take("msg_id", required: true)
        msgType = try take("msg_type", required: true)
        session = try take("session", required: false)
        username = try take("username", required: false)
        date = try take("date", required: false)
        version = try take("version", required: false)
        extra = object
    }
}
