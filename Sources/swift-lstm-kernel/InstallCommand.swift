import ArgumentParser
import Foundation
import JupyterKernel

/// `swift-lstm-kernel install [--user|--sys-prefix|--prefix P]`: writes the `swift-lstm` kernelspec
/// (kernel.json from the template in `kernelspec/`, with this binary's absolute path, plus the logos)
/// where jupyter_client looks for it.
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install the swift-lstm kernelspec.",
        discussion: """
            --user (the default) installs into the Jupyter data dir ($JUPYTER_DATA_DIR, else \
            ~/.local/share/jupyter); --sys-prefix into the active Python environment's share/jupyter; \
            --prefix P into P/share/jupyter.
            """)

    static let kernelName = "swift-lstm"
    static let templateFiles = ["kernel.json", "logo-32x32.png", "logo-64x64.png", "logo-svg.svg"]

    @Flag(name: .long, help: "Install for the current user (default).")
    var user = false
    @Flag(name: .long, help: "Install into the active Python environment (sys.prefix).")
    var sysPrefix = false
    @Option(name: .long, help: "Install into PREFIX/share/jupyter/kernels.")
    var prefix: String?

    func validate() throws {
        if [user, sysPrefix, prefix != nil].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --user, --sys-prefix and --prefix")
        }
    }

    func run() throws {
        let kernelsDir = try kernelsDirectory()
        let template = try Self.templateDirectory()
        let destination = kernelsDir.appendingPathComponent(Self.kernelName)
        let files = FileManager.default
        try files.createDirectory(at: destination, withIntermediateDirectories: true)

        let spec = try String(contentsOf: template.appendingPathComponent("kernel.json"), encoding: .utf8)
        let binary = Self.executablePath()
        // The path goes into a JSON string: escape what JSON requires.
        let escaped = binary.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        try spec.replacingOccurrences(of: "@KERNEL_BINARY@", with: escaped)
            .write(to: destination.appendingPathComponent("kernel.json"), atomically: true, encoding: .utf8)
        for logo in Self.templateFiles.dropFirst() {
            let target = destination.appendingPathComponent(logo)
            try? files.removeItem(at: target)
            try files.copyItem(at: template.appendingPathComponent(logo), to: target)
        }
        print("Installed kernelspec \(Self.kernelName) in \(destination.path) (kernel: \(binary))")
    }

    /// The `kernels` folder for the chosen scope, as jupyter_client's KernelSpecManager resolves it.
    private func kernelsDirectory() throws -> URL {
        if let prefix {
            let base = URL(fileURLWithPath: prefix, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            return base.standardizedFileURL.appendingPathComponent("share/jupyter/kernels")
        }
        if sysPrefix {
            return URL(fileURLWithPath: try Self.pythonPrefix()).appendingPathComponent("share/jupyter/kernels")
        }
        return JupyterPaths.dataDirectory().appendingPathComponent("kernels")
    }

    /// sys.prefix of the active Python: `$VIRTUAL_ENV`, else `$CONDA_PREFIX`, else what `python3` reports.
    static func pythonPrefix() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        for name in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
            if let value = environment[name], !value.isEmpty { return value }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sys; print(sys.prefix)"]
        let output = Pipe()
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            throw ValidationError("--sys-prefix needs python3 on PATH (or an active virtualenv): \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let prefix = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !prefix.isEmpty else {
            throw ValidationError("--sys-prefix: python3 did not report sys.prefix")
        }
        return prefix
    }

    /// The absolute, symlink-free path of the running binary (kernel.json must not depend on the cwd).
    static func executablePath() -> String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return resolved
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// The `kernelspec/` template folder: `$SWIFT_LSTM_KERNELSPEC_DIR`, else found by walking up from the
    /// binary (it lives in `<repo>/.build/<triple>/<config>/`), else beside this source file.
    static func templateDirectory() throws -> URL {
        var candidates: [URL] = []
        if let dir = ProcessInfo.processInfo.environment["SWIFT_LSTM_KERNELSPEC_DIR"], !dir.isEmpty {
            candidates.append(URL(fileURLWithPath: dir))
        }
        var folder = URL(fileURLWithPath: executablePath()).deletingLastPathComponent()
        while folder.path != "/" {
            candidates.append(folder.appendingPathComponent("kernelspec"))
            folder.deleteLastPathComponent()
        }
        let sourceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(sourceRoot.appendingPathComponent("kernelspec"))
        for candidate in candidates where templateFiles.allSatisfy({
            FileManager.default.fileExists(atPath: candidate.appendingPathComponent($0).path)
        }) {
            return candidate
        }
        throw ValidationError("cannot find the kernelspec template folder (kernel.json and logos); "
            + "set SWIFT_LSTM_KERNELSPEC_DIR to the repository's kernelspec/ folder")
    }
}
