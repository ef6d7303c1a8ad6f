import CZeroMQ
import Foundation

/// A libzmq failure, with libzmq's own message.
public struct ZMQError: Error, CustomStringConvertible, Sendable {
    /// The errno-style code (`zmq_errno()`).
    public let code: Int32
    /// What was being attempted, e.g. `bind tcp://127.0.0.1:5555`.
    public let operation: String
    public var description: String { "\(operation): \(String(cString: zmq_strerror(code)))" }
    /// The context was shut down: the socket's thread should close it and stop.
    public var isTerminated: Bool { code == ETERM }

    static func last(_ operation: String) -> ZMQError { ZMQError(code: zmq_errno(), operation: operation) }
}

/// A libzmq context (owns the I/O thread).
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// A new context with libzmq's default single I/O thread.
    public init() throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
    }

    /// Makes every blocking call on this context's sockets return with ETERM. Any thread.
    public func shutdown() { _ = zmq_ctx_shutdown(handle) }

    /// Waits until every socket is closed and its queued messages are sent (bounded by linger).
    public func terminate() {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}

/// One ZeroMQ socket. libzmq sockets are not thread-safe: each is used by one thread at a time, and the
/// owner of each instance documents which.
public final class ZMQSocket: @unchecked Sendable {
    private var handle: UnsafeMutableRawPointer?

    /// Creates a socket of a libzmq type (`ZMQ_ROUTER`, `ZMQ_PUB`, `ZMQ_REP`, …).
    public init(context: ZMQContext, type: Int32) throws {
        guard let handle = zmq_socket(context.handle, type) else { throw ZMQError.last("zmq_socket") }
        self.handle = handle
    }

    /// Sets an integer option (e.g. `ZMQ_LINGER` in ms, `ZMQ_SNDHWM` in messages).
    public func setOption(_ option: Int32, _ value: Int32) throws {
        var value = value
        guard let handle, zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt")
        }
    }

    /// Binds to an endpoint such as `tcp://127.0.0.1:5555` (the kernel binds; clients connect).
    public func bind(_ endpoint: String) throws {
        guard let handle, zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("bind \(endpoint)") }
    }

    /// Connects to an endpoint (used by tests and tools acting as a client).
    public func connect(_ endpoint: String) throws {
        guard let handle, zmq_connect(handle, endpoint) == 0 else { throw ZMQError.last("connect \(endpoint)") }
    }

    /// Sends all frames as one multipart message.
    public func send(_ frames: [Data]) throws {
        guard let handle else { throw ZMQError(code: ENOTSOCK, operation: "send on a closed socket") }
        for (index, frame) in frames.enumerated() {
            let flags = index == frames.count - 1 ? 0 : ZMQ_SNDMORE
            let sent = frame.withUnsafeBytes { bytes -> Int32 in
                while true {
                    let result = zmq_send(handle, bytes.baseAddress, bytes.count, flags)
                    if result >= 0 || zmq_errno() != EINTR { return result }
                }
            }
            if sent < 0 { throw ZMQError.last("zmq_send") }
        }
    }

    /// Receives one multipart message; nil when `wait` is false and nothing is queued. Throws `ZMQError`
    /// (`isTerminated` once the context shuts down).
    public func receive(wait: Bool = true) throws -> [Data]? {
        guard let handle else { throw ZMQError(code: ENOTSOCK, operation: "receive on a closed socket") }
        var frames: [Data] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while true {
            let flags = (frames.isEmpty && !wait) ? ZMQ_DONTWAIT : 0
            if zmq_msg_recv(&message, handle, flags) < 0 {
                let code = zmq_errno()
                if code == EINTR { continue }
                if code == EAGAIN && frames.isEmpty { return nil }
                throw ZMQError(code: code, operation: "zmq_msg_recv")
            }
            frames.append(Data(bytes: zmq_msg_data(&message), count: zmq_msg_size(&message)))
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }

    /// Waits up to `timeoutMs` for a message to arrive; true when one is ready.
    public func poll(timeoutMs: Int) throws -> Bool {
        guard let handle else { return false }
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let count = zmq_poll(&item, 1, timeoutMs)
        if count < 0 {
            if zmq_errno() == EINTR { return false }
            throw ZMQError.last("zmq_poll")
        }
        return count > 0
    }

    /// Closes the socket; queued outgoing messages are still sent within the linger period.
    public func close() {
        if let handle { zmq_close(handle) }
        handle = nil
    }
}
