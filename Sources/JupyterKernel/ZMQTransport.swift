import CZeroMQ
import Foundation
import JupyterProtocol

/// The real transport: four bound sockets (ROUTER shell, control and stdin; PUB iopub), signing and
/// framing through `WireCodec`. Thread use: shell and control are each used only by their own thread
/// (which receives and replies); iopub and stdin are shared and serialised by locks.
final class ZMQTransport: KernelTransport, @unchecked Sendable {
    let codec: WireCodec
    let shell: ZMQSocket
    let control: ZMQSocket
    let stdin: ZMQSocket
    let iopub: ZMQSocket
    /// Signatures already accepted on any channel: a repeat is a replay and is dropped.
    let signatures = SignatureHistory()
    private let iopubLock = NSLock()
    private let stdinLock = NSLock()
    private var closed = false

    init(context: ZMQContext, connection: ConnectionInfo) throws {
        codec = WireCodec(key: connection.key)
        shell = try ZMQSocket(context: context, type: ZMQ_ROUTER)
        control = try ZMQSocket(context: context, type: ZMQ_ROUTER)
        stdin = try ZMQSocket(context: context, type: ZMQ_ROUTER)
        iopub = try ZMQSocket(context: context, type: ZMQ_PUB)
        let sockets: [(ZMQSocket, KernelChannel)] = [(shell, .shell), (control, .control), (stdin, .stdin), (iopub, .iopub)]
        for (socket, channel) in sockets {
            // Queued replies and outputs are still delivered for a second after close, so a shutdown
            // reply is not lost when the process exits right after sending it.
            try socket.setOption(ZMQ_LINGER, 1000)
            // A burst of requests (or a chatty training loop) must not hit libzmq's default
            // high-water mark of 1000, past which ROUTER and PUB drop messages silently.
            try socket.setOption(ZMQ_SNDHWM, 100_000)
            try socket.setOption(ZMQ_RCVHWM, 100_000)
            try socket.bind(connection.endpoint(of: channel))
        }
    }

    /// Verifies and parses received frames, rejecting a signature seen before (`WireError.replayed`).
    /// Throws `UnreadableMessage` when only the body is unreadable.
    func decode(_ frames: [Data]) throws -> Message {
        let message = try codec.decode(frames)
        // Hex digits are compared without regard to case by the signer, so the same signature with its
        // letters upper-cased must count as the same message.
        if let signature = WireCodec.signature(of: frames),
           !signatures.recordFirstUse(of: Data(String(decoding: signature, as: UTF8.self).lowercased().utf8)) {
            throw WireError.replayed(msgID: message.header.msgID)
        }
        return message
    }

    /// Decodes one received message for the core; logs and drops what cannot be answered. `channel`
    /// names the socket in the log.
    func incoming(_ frames: [Data], on channel: MessageChannel) -> IncomingMessage? {
        do {
            return .message(try decode(frames))
        } catch let unreadable as UnreadableMessage {
            KernelLog.write("unreadable message on \(channel.rawValue): \(unreadable)")
            return .unreadable(unreadable)
        } catch {
            KernelLog.write("dropped a message on \(channel.rawValue): \(error)")
            return nil
        }
    }

    func takeQueuedShellMessages() -> [IncomingMessage] {
        var queued: [IncomingMessage] = []
        while true {
            do {
                guard let frames = try shell.receive(wait: false) else { return queued }
                if let message = incoming(frames, on: .shell) { queued.append(message) }
            } catch {
                KernelLog.write("shell socket failed while taking queued messages: \(error)")
                return queued
            }
        }
    }

    /// Encodes a message, or logs why it cannot be encoded.
    func frames(of message: Message) -> [Data]? {
        do {
            return try codec.encode(message)
        } catch {
            KernelLog.write("could not encode \(message.msgType): \(error)")
            return nil
        }
    }

    func send(_ message: Message, on channel: MessageChannel) {
        guard let frames = frames(of: message) else { return }
        let (socket, lock): (ZMQSocket, NSLock?) = {
            switch channel {
            case .shell: return (shell, nil)
            case .control: return (control, nil)
            case .stdin: return (stdin, stdinLock)
            case .iopub: return (iopub, iopubLock)
            }
        }()
        lock?.lock()
        defer { lock?.unlock() }
        guard !closed else { return }
        do {
            try socket.send(frames)
        } catch {
            KernelLog.write("could not send \(message.msgType) on \(channel.rawValue): \(error)")
        }
    }

    func receiveStdin(timeout: Double) -> Message? {
        stdinLock.lock()
        defer { stdinLock.unlock() }
        guard !closed else {
            Thread.sleep(forTimeInterval: timeout)
            return nil
        }
        do {
            guard try stdin.poll(timeoutMs: Int(timeout * 1000)), let frames = try stdin.receive(wait: false) else {
                return nil
            }
            return try decode(frames)
        } catch {
            KernelLog.write("dropped a message on stdin: \(error)")
            return nil
        }
    }

    /// Closes the shared sockets; later sends are dropped. Shell and control are closed by their threads.
    func closeShared() {
        iopubLock.lock()
        stdinLock.lock()
        closed = true
        iopub.close()
        stdin.close()
        stdinLock.unlock()
        iopubLock.unlock()
    }
}
