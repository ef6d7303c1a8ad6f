#if canImport(Glibc)
import Glibc
#endif

/// Where the compiler and the libraries cells build against live.
public struct Toolchain: Equatable, Sendable {
    /// Absolute path of `swiftc`.
    public var swiftc: String
    /// `swiftc --version`'s first line: part of every build-cache key.
    public var version: String
    /// Folder holding `libLSTMKit.so` (empty when LSTMKit is not available).
    public var libraryDirectory: String
    /// Folders with `LSTMKit.swiftmodule` and `NotebookDisplay.swiftmodule`.
    public var moduleSearchPaths: [String]
    /// Clang module maps the library modules depend on (e.g. CBLAS), passed with `-fmodule-map-file`.
    public var clangModuleMaps: [String]
    /// Modules every cell imports implicitly (those present among `moduleSearchPaths`).
    public var implicitModules: [String]
    /// Whether NotebookDisplay offers `_notebookCellResult` (then the last expression is shown).
    public var hasCellResultFunction: Bool
    /// Size and modification time of libLSTMKit.so and the library modules: part of every cache key, so a
    /// rebuilt LSTMKit never meets a cell compiled against the old one.
    public var libraryFingerprint: String = ""

    /// The path of `libLSTMKit.so`, or nil when it was not built.
    public var lstmKitLibrary: String? {
        let path = libraryDirectory + "/libLSTMKit.so"
        return access(path, R_OK) == 0 ? path : nil
    }

    /// Finds the toolchain for products next to `binDirectory` (the folder of the kernel executable).
    /// `temporaryDirectory`, when given, is `swiftc --version`'s `TMPDIR` (the driver leaves a folder there).
    public static func discover(binDirectory: String, temporaryDirectory: String? = nil) throws(CellError) -> Toolchain {
        guard let swiftc = findSwiftc() else {
            throw .setup("swiftc was not found (looked at $SWIFTC and every folder of $PATH)")
        }
        let environment = temporaryDirectory.map { Subprocess.environment(temporaryDirectory: $0) }
        let versionOutput = Subprocess.run([swiftc, "--version"], environment: environment)?.output ?? "unknown"
        let version = versionOutput.split(separator: "\n").first.map(String.init) ?? "unknown"
        let modules = binDirectory + "/Modules"
        var implicit: [String] = []
        for name in ["LSTMKit", "NotebookDisplay"] where access("\(modules)/\(name).swiftmodule", R_OK) == 0 {
            implicit.append(name)
        }
        let libraryPresent = access(binDirectory + "/libLSTMKit.so", R_OK) == 0
        if !libraryPresent { implicit = [] }
        let displayModule = readFile("\(modules)/NotebookDisplay.swiftmodule") ?? []
        let hasResult = implicit.contains("NotebookDisplay") && contains(displayModule, "_notebookCellResult")
        let fingerprinted = [binDirectory + "/libLSTMKit.so", "\(modules)/LSTMKit.swiftmodule",
                             "\(modules)/NotebookDisplay.swiftmodule"]
        let fingerprint = fingerprinted.map { path -> String in
            var info = stat()
            guard stat(path, &info) == 0 else { return "\(path):missing" }
            return "\(path):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }.joined(separator: "|")
        return Toolchain(swiftc: swiftc, version: version, libraryDirectory: libraryPresent ? binDirectory : "",
                         moduleSearchPaths: [modules], clangModuleMaps: findModuleMaps(from: binDirectory),
                         implicitModules: implicit, hasCellResultFunction: hasResult,
                         libraryFingerprint: fingerprint)
    }

    static func findSwiftc() -> String? {
        if let explicit = getenv("SWIFTC").map({ String(cString: $0) }), access(explicit, X_OK) == 0 {
            return explicit
        }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where access("\(dir)/swiftc", X_OK) == 0 {
            return "\(dir)/swiftc"
        }
        return nil
    }

    /// The system-library module maps of the package the products were built from (`Sources/*/module.modulemap`
    /// of the nearest folder above `binDirectory` holding `Package.swift`).
    static func findModuleMaps(from binDirectory: String) -> [String] {
        var dir = binDirectory
        while dir.count > 1 {
            if access(dir + "/Package.swift", R_OK) == 0 {
                return ["CBLAS", "CZeroMQ"].map { "\(dir)/Sources/\($0)/module.modulemap" }
                    .filter { access($0, R_OK) == 0 }
            }
            dir = String(dir[..<(dir.lastIndex(of: "/") ?? dir.startIndex)])
        }
        return []
    }

    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return Subprocess.readAll(fd)
    }

    private static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard !n.isEmpty, haystack.count >= n.count else { return false }
        var i = 0
        while i <= haystack.count - n.count {
            if haystack[i] == n[0] && Array(haystack[i..<(i + n.count)]) == n { return true }
            i += 1
        }
        return false
    }
}
