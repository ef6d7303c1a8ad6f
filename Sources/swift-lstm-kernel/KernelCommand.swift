import ArgumentParser
import Foundation
import JupyterKernel
import JupyterProtocol

/// Runs the kernel for one connection file: `swift-lstm-kernel --connection-file F` (the default subcommand,
/// as kernel.json's argv invokes it).
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kernel", abstract: "Run the kernel.")

    @Option(name: .long, help: "The connection file written by the Jupyter client.")
    var connectionFile: String?

    func run() throws {
        // Connection problems are user errors: one line on stderr, exit status 2, no usage dump.
        guard let connectionFile else {
            fail("no connection file given: run with --connection-file FILE (Jupyter passes it from kernel.json)",
                 status: 2)
        }
        let connection: ConnectionInfo
        do {
            connection = try ConnectionInfo.load(path: connectionFile)
        } catch {
            fail("\(error)", status: 2)
        }
        let server: KernelServer
        do {
            server = try KernelServer(connection: connection, interpreter: makeInterpreter(),
                                      history: HistoryStore(fileURL: HistoryStore.defaultFileURL()))
        } catch {
            fail("cannot open the kernel's sockets: \(error)", status: 1)
        }
        server.run()
    }

    private func fail(_ message: String, status: Int32) -> Never {
        fputs("swift-lstm-kernel: \(message)\n", stderr)
        Foundation.exit(status)
    }
}
