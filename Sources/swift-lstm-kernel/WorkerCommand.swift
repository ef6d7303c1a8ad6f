import ArgumentParser
import CellHost

/// The execution host process: the kernel starts it with its pipes in place; it runs cells on command.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run the execution worker (internal).", shouldDisplay: false)
    func run() throws { WorkerHost.run() }
}
