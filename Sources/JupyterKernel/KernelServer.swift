import CZeroMQ
import Foundation
import JupyterProtocol

/// Runs a kernel on the sockets of a connection file: a thread each for shell, control and heartbeat, a
/// thread turning SIGINT into an interrupt, and the caller's thread waiting for shutdown.
public final class KernelServer: @unchecked Sendable {
    private let context: ZMQContext
    private let transport: ZMQTransport
    private let heartbeat: ZMQSocket
    /// The protocol logic; exposed so callers can observe it (e.g. tests, logging).
    public let core: KernelCore
    private let stopped = DispatchSemaphore(value: 0)
    private let threadsDone = DispatchGroup()

    /// Binds all five sockets. Throws `ZMQError` when an endpoint cannot be bound (e.g. port in use).
    public init(connection: ConnectionInfo, interpreter: Interpreter, history: HistoryStore) throws {
        context = try ZMQContext()
        transport = try ZMQTransport(context: context, connection: connection)
        heartbeat = try ZMQSocket(context: context, type: ZMQ_REP)
        try heartbeat.setOption(ZMQ_LINGER, 0)
        try heartbeat.bind(connection.endpoint(of: .hb))
        core = KernelCore(interpreter: interpreter, transport: transport, history: history)
        core.onShutdown = { [stopped] _ in stopped.signal() }
    }

    /// Serves until a shutdown request, then closes the sockets (flushing the last replies) and returns.
    public func run() {
        startThread("shell") { [self] in serve(transport.shell, as: .shell) }
        startThread("control") { [self] in serve(transport.control, as: .control) }
        startThread("heartbeat") { [self] in echoHeartbeats() }
        SignalInterrupts.install(
            onInterrupt: { [core] in core.interruptExecution() },
            onTerminate: { [core] in core.stopWithoutRequest(reason: "SIGTERM") })
        ParentWatcher.start { [core] parent in core.stopWithoutRequest(reason: "the parent process \(parent) exited") }
        stopped.wait()
        stop()
    }

    private func startThread(_ name: String, _ body: @escaping () -> Void) {
        threadsDone.enter()
        let thread = Thread { [threadsDone] in
            body()
            threadsDone.leave()
        }
        thread.name = name
        thread.start()
    }

    /// The receive loop of shell or control. Runs on that channel's thread until the context shuts down.
    /// On shell, messages the core took off the socket after a failed cell (stop_on_error) are handled
    /// first, in their arrival order.
    private func serve(_ socket: ZMQSocket, as channel: MessageChannel) {
        while true {
            if channel == .shell, let queued = core.nextQueuedShellMessage() {
                core.handle(queued, on: channel)
                continue
            }
            do {
                guard let frames = try socket.receive(wait: true) else { continue }
                if let message = transport.incoming(frames, on: channel) { core.handle(message, on: channel) }
            } catch let error as ZMQError where error.isTerminated {
                break
            } catch {
                KernelLog.write("\(channel.rawValue) socket failed: \(error)")
                break
            }
        }
        socket.close()
    }

    /// Echoes every heartbeat ping unchanged. Runs on the heartbeat thread.
    private func echoHeartbeats() {
        while true {
            do {
                guard let ping = try heartbeat.receive() else { continue }
                try heartbeat.send(ping)
            } catch let error as ZMQError where error.isTerminated {
                break
            } catch {
                KernelLog.write("heartbeat failed: \(error)")
                break
            }
        }
        heartbeat.close()
    }

    /// Wakes the socket threads, then waits for queued messages to go out. A shell thread still inside an
    /// execute (the interpreter did not stop in time) is not waited for past two seconds.
    private func stop() {
        context.shutdown()
        let joined = threadsDone.wait(timeout: .now() + 2) == .success
        transport.closeShared()
        if joined {
            context.terminate()
        } else {
            KernelLog.write("an execution did not stop after shutdown; exiting anyway")
            Thread.sleep(forTimeInterval: 0.3)
        }
    }
}
