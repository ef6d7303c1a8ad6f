import Foundation

/// Turns SIGINT into an interrupt of the running cell instead of killing the kernel (jupyter_client
/// sends SIGINT for `interrupt_mode: signal`, and users press Ctrl-C in a terminal), and SIGTERM into an
/// orderly stop that also ends the worker. The handler only writes the signal number to a pipe; a thread
/// reads it and calls back, outside signal context. Caught signals are reset to their default in child
/// processes, so the worker's own signal behaviour is not changed.
enum SignalInterrupts {
    nonisolated(unsafe) private static var writeFD: Int32 = -1

    static func install(onInterrupt: @escaping @Sendable () -> Void, onTerminate: @escaping @Sendable () -> Void) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            KernelLog.write("could not create the signal pipe; SIGINT and SIGTERM keep their default action")
            return
        }
        writeFD = fds[1]
        let readFD = fds[0]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            var byte = UInt8(truncatingIfNeeded: signal)
            _ = write(SignalInterrupts.writeFD, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(readFD, &byte, 1)
                if count == 1 {
                    if Int32(byte) == SIGTERM { onTerminate() } else { onInterrupt() }
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
        thread.name = "signals"
        thread.start()
    }
}

/// Stops the kernel when the process that launched it dies, as ipykernel's parent poller does:
/// jupyter_client puts its pid in `JPY_PARENT_PID`. Without it, an orphaned kernel would run forever.
enum ParentWatcher {
    static func start(environment: [String: String] = ProcessInfo.processInfo.environment,
                      onParentExit: @escaping @Sendable (Int32) -> Void) {
        guard let text = environment["JPY_PARENT_PID"], let parent = Int32(text), parent > 1, getppid() == parent
        else { return }
        let thread = Thread {
            while true {
                Thread.sleep(forTimeInterval: 1)
                if getppid() != parent {
                    onParentExit(parent)
                    return
                }
            }
        }
        thread.name = "parent-watcher"
        thread.start()
    }
}
