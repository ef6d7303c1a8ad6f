import ArgumentParser

/// Runs the kernel for one connection file (owned by the kernel-protocol work, issue 2).
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kernel", abstract: "Run the kernel.")
    @Option(name: .long, help: "The connection file written by the Jupyter client.")
    var connectionFile: String
    func run() throws { fatalError("kernel mode not written yet (issue 2)") }
}
