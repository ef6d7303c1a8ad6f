import Foundation

/// The transports a connection file may name.
public enum ConnectionTransport: String, Equatable, Sendable {
    case tcp
    case ipc
}

/// The kernel's five channels as the connection file lists them.
public enum KernelChannel: String, CaseIterable, Equatable, Sendable {
    case shell, iopub, stdin, control, hb

    /// The connection-file key holding this channel's port, e.g. `shell_port`.
    public var portKey: String { "\(rawValue)_port" }
}

/// Why a connection file could not be used. Each description is one line naming the file and the field.
public enum ConnectionFileError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file does not exist or cannot be read.
    case unreadable(path: String, reason: String)
    /// The file is not a JSON object.
    case notJSON(path: String, reason: String)
    /// A required field is absent.
    case missingField(path: String, field: String)
    /// A field is present but has the wrong type or value.
    case invalidField(path: String, field: String, expected: String, given: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read connection file \(path): \(reason)"
        case .notJSON(let path, let reason):
            return "connection file \(path) is not a JSON object: \(reason)"
        case .missingField(let path, let field):
            return "connection file \(path): missing field \"\(field)\""
        case .invalidField(let path, let field, let expected, let given):
            return "connection file \(path): field \"\(field)\" must be \(expected), given \(given)"
        }
    }
}

/// The contents of a Jupyter connection file: where to bind the five sockets and how to sign messages.
public struct ConnectionInfo: Equatable, Sendable {
    /// `tcp` (jupyter_client's default) or `ipc` (Unix domain sockets).
    public var transport: ConnectionTransport
    /// An IP address for tcp; a path prefix for ipc (endpoints are `ipc://<ip>-<port>`).
    public var ip: String
    /// Requests and replies (ROUTER).
    public var shellPort: Int
    /// Broadcast outputs and status (PUB).
    public var iopubPort: Int
    /// Input requests to the frontend (ROUTER).
    public var stdinPort: Int
    /// Interrupt, shutdown and kernel_info served beside a busy shell (ROUTER).
    public var controlPort: Int
    /// Heartbeat echo (REP).
    public var hbPort: Int
    /// The HMAC key; empty means messages are neither signed nor checked.
    public var key: String
    /// Always `hmac-sha256`: the only scheme this kernel implements.
    public var signatureScheme: String
    /// The kernelspec name the client launched, when it says.
    public var kernelName: String?

    /// Connection details given field by field (tests, tools); kernels use `load(path:)`.
    public init(transport: ConnectionTransport = .tcp, ip: String = "127.0.0.1", shellPort: Int, iopubPort: Int,
                stdinPort: Int, controlPort: Int, hbPort: Int, key: String,
                signatureScheme: String = "hmac-sha256", kernelName: String? = nil) {
        self.transport = transport
        self.ip = ip
        self.shellPort = shellPort
        self.iopubPort = iopubPort
        self.stdinPort = stdinPort
        self.controlPort = controlPort
        self.hbPort = hbPort
        self.key = key
        self.signatureScheme = signatureScheme
        self.kernelName = kernelName
    }

    /// The port of one channel.
    public func port(of channel: KernelChannel) -> Int {
        switch channel {
        case .shell: return shellPort
        case .iopub: return iopubPort
        case .stdin: return stdinPort
        case .control: return controlPort
        case .hb: return hbPort
        }
    }

    /// The ZeroMQ endpoint a channel binds to, e.g. `tcp://127.0.0.1:54321` or `ipc:///tmp/kernel-3-1`.
    public func endpoint(of channel: KernelChannel) -> String {
        switch transport {
        case .tcp: return "tcp://\(ip):\(port(of: channel))"
        case .ipc: return "ipc://\(ip)-\(port(of: channel))"
        }
    }

    /// Reads and validates a connection file.
    public static func load(path: String) throws -> ConnectionInfo {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied or not a file" : "no such file"
            throw ConnectionFileError.unreadable(path: path, reason: reason)
        }
        return try parse(data, path: path)
    }

    /// Parses connection-file JSON; `path` only names the file in error messages.
    public static func parse(_ data: Data, path: String = "<connection file>") throws -> ConnectionInfo {
        let json: JSONValue
        do {
            json = try JSONValue.decode(data)
        } catch {
            throw ConnectionFileError.notJSON(path: path, reason: "invalid JSON")
        }
        guard let object = json.objectValue else {
            throw ConnectionFileError.notJSON(path: path, reason: "the top level is \(json.kindName)")
        }
        let fields = FieldReader(path: path, object: object)

        let transportName = try fields.string("transport", default: "tcp")
        guard let transport = ConnectionTransport(rawValue: transportName) else {
            throw ConnectionFileError.invalidField(path: path, field: "transport", expected: "\"tcp\" or \"ipc\"",
                                                   given: "\"\(transportName)\"")
        }
        let ip = try fields.string("ip")
        if ip.isEmpty {
            throw ConnectionFileError.invalidField(path: path, field: "ip", expected: "a non-empty address", given: "\"\"")
        }
        var ports: [KernelChannel: Int] = [:]
        for channel in KernelChannel.allCases {
            ports[channel] = try fields.port(channel.portKey)
        }
        let key = try fields.string("key")
        let scheme = try fields.string("signature_scheme", default: "hmac-sha256")
        if scheme != "hmac-sha256" {
            throw ConnectionFileError.invalidField(path: path, field: "signature_scheme", expected: "\"hmac-sha256\"",
                                                   given: "\"\(scheme)\"")
        }
        let kernelName = try fields.optionalString("kernel_name")
        return ConnectionInfo(transport: transport, ip: ip, shellPort: ports[.shell]!, iopubPort: ports[.iopub]!,
                              stdinPort: ports[.stdin]!, controlPort: ports[.control]!, hbPort: ports[.hb]!,
                              key: key, signatureScheme: scheme, kernelName: kernelName)
    }
}

/// Reads typed fields from the connection file's object, turning every mistake into a `ConnectionFileError`.
private struct FieldReader {
    let path: String
    let object: [String: JSONValue]

    func string(_ name: String, default fallback: String? = nil) throws -> String {
        guard let value = object[name], value != .null else {
            if let fallback { return fallback }
            throw ConnectionFileError.missingField(path: path, field: name)
        }
        guard let string = value.stringValue else {
            throw ConnectionFileError.invalidField(path: path, field: name, expected: "a string", given: value.kindName)
        }
        return string
    }

    func optionalString(_ name: String) throws -> String? {
        guard let value = object[name], value != .null else { return nil }
        guard let string = value.stringValue else {
            throw ConnectionFileError.invalidField(path: path, field: name, expected: "a string", given: value.kindName)
        }
        return string
    }

    func port(_ name: String) throws -> Int {
        guard let value = object[name], value != .null else {
            throw ConnectionFileError.missingField(path: path, field: name)
        }
        guard let number = value.intValue else {
            throw ConnectionFileError.invalidField(path: path, field: name, expected: "an integer port",
                                                   given: value.kindName)
        }
        guard (1...65535).contains(number) else {
            throw ConnectionFileError.invalidField(path: path, field: name, expected: "a port in 1...65535",
                                                   given: String(number))
        }
        return number
    }
}
