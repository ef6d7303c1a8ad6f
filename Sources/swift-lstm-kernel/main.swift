import ArgumentParser

/// `swift-lstm-kernel`: the Jupyter kernel (default), its execution worker, and the kernelspec installer.
struct SwiftLSTMKernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swift-lstm-kernel",
        abstract: "A Jupyter kernel for Swift with the LSTMKit recurrent-network library.",
        subcommands: [KernelCommand.self, WorkerCommand.self, InstallCommand.self],
        defaultSubcommand: KernelCommand.self
    )
}

SwiftLSTMKernelCommand.main()
