#if canImport(Glibc)
import Glibc
#endif

/// Drives swiftc: compiles a generated `main.swift` in script mode into module `Cell<N>` with entry point
/// `cell<N>_main`, then links it as `libCell<N>.so` against the earlier cells it imports and LSTMKit.
public struct CellCompiler: Sendable {
    public var toolchain: Toolchain
    /// Where every cell's module, object and library go (one folder per kernel session).
    public var workDirectory: String

    /// `swiftc` arguments for the installed packages' modules (`InstalledPackages.compileArguments`).
    public var packageCompileArguments: [String] = []
    /// Linker arguments for the installed packages' library (`InstalledPackages.linkArguments`).
    public var packageLinkArguments: [String] = []

    public init(toolchain: Toolchain, workDirectory: String) {
        self.toolchain = toolchain
        self.workDirectory = workDirectory
    }

    /// `TMPDIR` for swiftc, clang and lld: inside the session's folder, emptied after every build (the
    /// swiftc driver leaves a `TemporaryDirectory.XXXXXX` folder in `$TMPDIR` on every run).
    public var temporaryDirectory: String { workDirectory + "/tmp" }

    /// Flags that decide the object code: part of the cache key.
    public var compileFlags: [String] {
        ["-swift-version", "5", "-enable-testing", "-Onone", "-gline-tables-only", "-wmo"]
    }

    /// Seconds spent in each step of a build (`link` stays 0: swiftc links in the same process).
    public struct Timings: Equatable, Sendable {
        public var compile: Double = 0
        public var link: Double = 0
    }

    /// Builds module `Cell<module>` from `source`, linking the cell modules in `linking`.
    public func build(source: String, module: Int, linking: [Int], key: String,
                      timings: inout Timings) throws(CellError) -> CellBuild {
        let dir = "\(workDirectory)/cell\(module)"
        PrivateFiles.makeDirectory(dir)
        PrivateFiles.makeDirectory(temporaryDirectory)
        defer {
            Subprocess.emptyDirectory(temporaryDirectory)
            // swiftc and the linker create their outputs with the umask's modes: make them private.
            PrivateFiles.restrict(dir)
            PrivateFiles.restrict(workDirectory, recursive: false)
        }
        let environment = Subprocess.environment(temporaryDirectory: temporaryDirectory)
        let sourcePath = dir + "/main.swift"
        guard write(source, to: sourcePath) else {
            throw .setup("could not write \(sourcePath): \(String(cString: strerror(errno)))")
        }
        // One frontend job compiles and emits the module (`-no-emit-module-separately-wmo`: by default the
        // driver runs a second job for the module, 0.11 s against 0.07 s for a small cell). swiftc cannot
        // link a script-mode file into a library in the same run (`-emit-library` forces
        // `-parse-as-library`), so linking is a second step.
        let object = "\(dir)/cell\(module).o"
        var compile = [toolchain.swiftc] + compileFlags + [
            "-no-emit-module-separately-wmo",
            "-module-name", "Cell\(module)", "-I", workDirectory,
            "-emit-module", "-emit-module-path", "\(workDirectory)/Cell\(module).swiftmodule",
            "-c", sourcePath, "-o", object,
            "-Xfrontend", "-entry-point-function-name", "-Xfrontend", "cell\(module)_main",
            "-diagnostic-style", "llvm", "-no-color-diagnostics",
            // Warnings about user code are noise in a notebook; errors are what we report.
            "-suppress-warnings",
        ]
        for path in toolchain.moduleSearchPaths { compile += ["-I", path] }
        for map in toolchain.clangModuleMaps { compile += ["-Xcc", "-fmodule-map-file=\(map)"] }
        compile += packageCompileArguments
        var start = Clock.now()
        guard let compiled = Subprocess.run(compile, environment: environment) else { throw .setup("could not start \(toolchain.swiftc)") }
        timings.compile = Clock.now() - start
        guard compiled.status == 0 else {
            var diagnostics = CompileDiagnostics.parse(compiled.output)
            diagnostics.cellLabel = "<cell \(module)>"
            throw .compile(diagnostics)
        }
        let library = "\(workDirectory)/libCell\(module).so"
        start = Clock.now()
        try link(object: object, library: library, linking: linking, environment: environment)
        timings.link = Clock.now() - start
        return CellBuild(module: module, libraryPath: library, key: key)
    }

    /// Links with the toolchain's clang and lld directly when they are there (0.02 s), else through the
    /// swiftc driver (0.08 s): the driver adds nothing a cell needs but the autolink libraries.
    private func link(object: String, library: String, linking: [Int],
                      environment: [String]) throws(CellError) {
        var libraries = ["-L", workDirectory] + linking.map { "-lCell\($0)" }
        // `$ORIGIN`: earlier cells sit beside this library, also after a copy from the disk cache.
        var rpaths = ["$ORIGIN"]
        if !toolchain.libraryDirectory.isEmpty {
            libraries += ["-L", toolchain.libraryDirectory, "-lLSTMKit"]
            rpaths.append(toolchain.libraryDirectory)
        }
        libraries += packageLinkArguments
        let bin = toolchain.swiftc.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            .joined(separator: "/")
        let runtime = bin + "/../lib/swift/linux"
        let tools = [bin + "/clang", bin + "/ld.lld", bin + "/swift-autolink-extract", runtime + "/x86_64/swiftrt.o"]
        if tools.allSatisfy({ access($0, R_OK) == 0 }) {
            // The libraries the object's imports ask for (swiftCore, Foundation, LSTMKit, cells …).
            let autolink = object + ".autolink"
            if Subprocess.run([bin + "/swift-autolink-extract", object, "-o", autolink],
                              environment: environment)?.status == 0 {
                let command = [bin + "/clang", "-shared", "-fuse-ld=lld", "--target=x86_64-unknown-linux-gnu",
                               runtime + "/x86_64/swiftrt.o", object, "@" + autolink, "-L", runtime]
                    + libraries + (rpaths + [runtime]).flatMap { ["-Xlinker", "-rpath", "-Xlinker", $0] }
                    + ["-o", library]
                if let linked = Subprocess.run(command, environment: environment), linked.status == 0 { return }
            }
        }
        let command = [toolchain.swiftc, "-emit-library", object, "-o", library] + libraries
            + rpaths.flatMap { ["-Xlinker", "-rpath", "-Xlinker", $0] }
        guard let linked = Subprocess.run(command, environment: environment) else { throw .setup("could not start \(toolchain.swiftc)") }
        guard linked.status == 0 else { throw .link(linked.output) }
    }

    private func write(_ text: String, to path: String) -> Bool {
        PrivateFiles.write(Array(text.utf8), to: path)
    }
}

/// Monotonic seconds, for the timings the benchmark reports.
public enum Clock {
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
