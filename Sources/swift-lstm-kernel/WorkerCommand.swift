import ArgumentParser

/// The execution host process (owned by the cell-engine work, issue 3).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run the execution worker (internal).", shouldDisplay: false)
    func run() throws { fatalError("worker not written yet (issue 3)") }
}
