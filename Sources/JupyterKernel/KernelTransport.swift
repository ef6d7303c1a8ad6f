import Foundation
import JupyterProtocol

/// The channels a kernel core sends on (heartbeat never reaches the core).
public enum MessageChannel: String, Sendable, CaseIterable {
    case shell, control, stdin, iopub
}

/// The seam between the kernel core and the sockets. The real one (`ZMQTransport`) signs and frames
/// messages for ZeroMQ; tests use a fake that records what was sent. Implementations must be thread-safe:
/// the shell thread, the control thread and the interpreter's output threads all send.
public protocol KernelTransport: AnyObject, Sendable {
    /// Sends one message; a message that cannot be sent is logged and dropped.
    func send(_ message: Message, on channel: MessageChannel)
    /// Waits up to `timeout` seconds for the next message on stdin (an `input_reply`); nil on timeout or
    /// when the transport is closed.
    func receiveStdin(timeout: Double) -> Message?
    /// Takes every message already waiting on the shell socket, without waiting for more. Called on the
    /// shell thread when a cell fails with `stop_on_error`, before its reply goes out: what is queued at
    /// that moment is what the abort applies to.
    func takeQueuedShellMessages() -> [IncomingMessage]
}

/// A received message as the core gets it: decoded, or signed with a readable header but an unreadable
/// body (answered with an error reply).
public enum IncomingMessage: Sendable {
    case message(Message)
    case unreadable(UnreadableMessage)
}

/// Diagnostics on the kernel's stderr, which jupyter_client forwards to the server's log.
public enum KernelLog {
    /// Writes one line to stderr, prefixed so it can be told apart from the worker's output.
    public static func write(_ line: String) {
        fputs("[swift-lstm-kernel] \(line)\n", stderr)
        fflush(stderr)
    }
}
