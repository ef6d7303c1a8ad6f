import Foundation
import JupyterKernel
import SwiftCells

extension SwiftInterpreter {
    /// Runs a cell's `%install`, `%include` and `!` lines. Nil to go on with the cell's Swift code, else
    /// the outcome that ends the cell (an error).
    func runDirectives(_ directives: CellDirectives, session: CellSession, request: ExecuteRequest,
                       context: ExecutionContext) -> ExecutionOutcome? {
        func fail(_ error: CellError) -> ExecutionOutcome {
            .error(Self.executionError(error, request: request, cellName: cellName))
        }
        func say(_ text: String) { if !request.silent { context.publishStream(.stdout, text) } }
        let directory = FileManager.default.currentDirectoryPath
        if !directives.installs.isEmpty || !directives.flags.isEmpty {
            guard !directives.installs.isEmpty else {
                return fail(.install("%install-swiftpm-flags applies to the %install lines of its cell; this cell has none"))
            }
            var requests: [InstallRequest] = []
            do {
                for install in directives.installs {
                    requests.append(try InstallRequest.parse(install.argument, column: install.column, directory: directory))
                }
            } catch {
                return fail(error)
            }
            let names = requests.map(\.name).joined(separator: ", ")
            let progress = InstallProgress(label: "Installing \(names)", publish: say)
            let start = Clock.now()
            switch session.install(requests, flags: directives.flags, progress: progress.feed) {
            case .failure(let error):
                progress.finish("Installing \(names) failed")
                return fail(error)
            case .success(let (set, cached)):
                let products = requests.flatMap(\.products).joined(separator: ", ")
                progress.finish(String(format: "Installed %@ (%@)%@ in %.1f s", names, products,
                                       cached ? " from the cache" : "", Clock.now() - start))
                // Completion restarts with the new modules on its search path.
                resetCompletion()
                _ = set
            }
        }
        for step in directives.steps {
            switch step {
            case .include(let file):
                guard !file.isEmpty else { return fail(.magic("%include needs a file, e.g. `%include helpers.swift`")) }
                let path = file.hasPrefix("/") ? file : directory + "/" + file
                guard let data = FileManager.default.contents(atPath: path),
                      let source = String(data: data, encoding: .utf8) else {
                    return fail(.magic("%include could not read \(path) (paths are relative to the notebook's folder, \(directory))"))
                }
                let (outcome, _) = runCode(source, session: session, request: request, context: context)
                guard case .ok = outcome else { return outcome }
            case .shell(let command):
                session.beginKernelWork()
                let result = StreamingCommand.run(["/bin/sh", "-c", command], directory: directory,
                                                  shouldStop: { session.interruptPending }) { text in
                    say(text)
                }
                guard let result else { return fail(.shell("could not start /bin/sh for `\(command)`")) }
                if session.interruptPending {
                    return fail(.interrupted(workerRestarted: false, detail: "`!\(command)` was interrupted"))
                }
                if result.status != 0 {
                    return fail(.shell("`!\(command)` exited with status \(result.status)"))
                }
            }
        }
        return nil
    }
}
