import ArgumentParser

/// Installs the `swift-lstm` kernelspec (owned by the kernel-protocol work, issue 2).
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "install", abstract: "Install the kernelspec.")
    func run() throws { fatalError("install not written yet (issue 2)") }
}
