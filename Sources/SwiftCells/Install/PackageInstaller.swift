import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Builds `%install` sets: a generated SwiftPM package whose one dynamic library depends on every
/// requested product, built optimised once per set in a shared cache folder and reused by every later
/// kernel of the user.
///
/// The cache (`$SWIFT_LSTM_INSTALL_CACHE`, else `$XDG_CACHE_HOME/swift-lstm-kernel/packages` or
/// `~/.cache/…`, folders 0700) holds one folder per set, named by the hash of its specs, products,
/// flags, the toolchain, and the files of `path:` packages, with the set's generated package, a copy of
/// its library and its module files. A folder holding `INSTALLED` is complete: a second kernel
/// installing the same set runs no build at all. Builds share a scratch folder per toolchain and flags
/// (`scratch-<hash>`, one build at a time under `scratch-<hash>.lock`), so SwiftPM rebuilds only what
/// a changed set needs.
public struct PackageInstaller: Sendable {
    /// The cache folder.
    public let directory: String
    /// `swift` (next to the toolchain's `swiftc`).
    public let swift: String
    /// `swiftc --version`: part of every key.
    public let toolchainVersion: String

    /// The module that holds the set's library (one empty source file).
    static let targetName = "NotebookInstall"
    static let marker = "INSTALLED"

    /// Nil when the cache folder would not be an absolute path.
    public init?(toolchain: Toolchain, directory explicit: String? = nil) {
        let env = ProcessInfo.processInfo.environment
        let directory: String
        if let explicit {
            directory = explicit
        } else if let configured = env["SWIFT_LSTM_INSTALL_CACHE"], !configured.isEmpty {
            directory = configured
        } else {
            directory = (env["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")) + "/swift-lstm-kernel/packages"
        }
        guard directory.hasPrefix("/") else { return nil }
        self.directory = directory
        swift = (toolchain.swiftc as NSString).deletingLastPathComponent + "/swift"
        toolchainVersion = toolchain.version
    }

    /// The cache key of a set.
    public func key(requests: [InstallRequest], flags: [String]) -> String {
        var parts = [toolchainVersion, flags.joined(separator: " ")]
        for request in requests {
            parts += [request.spec, request.products.joined(separator: " ")]
            if let path = request.localPath { parts.append(Self.fingerprint(of: path)) }
        }
        return String(BuildCache.key(parts).prefix(20))
    }

    /// Builds (or finds in the cache) the set made of `requests`; `progress` gets the build's output as
    /// it arrives. Throws `.install` naming what failed; the cache keeps no half-built set as complete.
    public func install(_ requests: [InstallRequest], flags: [String], temporaryDirectory: String,
                        shouldStop: () -> Bool = { false }, progress: (String) -> Void) throws(CellError) -> (InstalledPackages, cached: Bool) {
        let key = key(requests: requests, flags: flags)
        let folder = "\(directory)/\(key)"
        let libraryName = "NotebookInstall\(key)"
        if let done = readMarker(folder: folder, key: key, libraryName: libraryName, requests: requests, flags: flags) {
            return (done, true)
        }
        // Made on the first install, not at kernel start: most sessions install nothing.
        guard PrivateFiles.makeDirectory(directory) else {
            throw .install("the package cache folder \(directory) could not be created: \(String(cString: strerror(errno)))")
        }
        guard PrivateFiles.makeDirectory("\(folder)/Sources/\(Self.targetName)"),
              PrivateFiles.write(Array(manifest(requests: requests, libraryName: libraryName).utf8),
                                 to: "\(folder)/Package.swift"),
              PrivateFiles.write(Array("// Built by %install: links the requested products into one library.\n".utf8),
                                 to: "\(folder)/Sources/\(Self.targetName)/Exports.swift") else {
            throw .install("could not write the package for the install set in \(folder): \(String(cString: strerror(errno)))")
        }
        // Every set with the same toolchain and flags builds in one scratch folder, so a set that adds a
        // package to an earlier one compiles only the new package (and relinks); one build at a time.
        let scratch = "\(directory)/scratch-\(String(BuildCache.key([toolchainVersion] + flags).prefix(12)))"
        let lock = open(scratch + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        defer { if lock >= 0 { close(lock) } }
        if lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) != 0 {
            progress("waiting for another kernel's package build to finish\n")
            while flock(lock, LOCK_EX) != 0 && errno == EINTR {}
            // That build may have been this very set.
            if let done = readMarker(folder: folder, key: key, libraryName: libraryName, requests: requests, flags: flags) {
                return (done, true)
            }
        }
        PrivateFiles.makeDirectory(temporaryDirectory)
        let environment = Subprocess.environment(temporaryDirectory: temporaryDirectory)
        let command = [swift, "build", "-c", "release", "--package-path", folder, "--scratch-path", scratch] + flags
        guard let result = StreamingCommand.run(command, directory: folder, environment: environment,
                                                shouldStop: shouldStop, onOutput: progress) else {
            throw .install("could not start \(swift)")
        }
        Subprocess.emptyDirectory(temporaryDirectory)
        guard result.status == 0 else {
            throw .install(diagnose(result.output, requests: requests, folder: folder, scratch: scratch), log: result.output)
        }
        // The set keeps its own copy of the library and the module files, so a later build in the shared
        // scratch folder (another set, other versions) never changes what this set's cells use.
        let release = "\(scratch)/release"
        guard let clang = clangArguments(release: release),
              copy("\(release)/lib\(libraryName).so", to: "\(folder)/lib\(libraryName).so"),
              copyModules(from: "\(release)/Modules", to: "\(folder)/Modules") else {
            throw .install("swift build succeeded but its library, modules or build description could not be "
                + "copied into \(folder)", log: result.output)
        }
        let done = InstalledPackages(key: key, libraryPath: "\(folder)/lib\(libraryName).so", libraryDirectory: folder,
                                     libraryName: libraryName, moduleSearchPaths: ["\(folder)/Modules"],
                                     clangArguments: clang, requests: requests, flags: flags)
        // Written last: a folder with the marker is complete.
        _ = PrivateFiles.write(Array(clang.joined(separator: "\n").utf8), to: "\(folder)/\(Self.marker)")
        return (done, false)
    }

    /// The complete set in `folder`, or nil when it was never built (or its files are gone).
    private func readMarker(folder: String, key: String, libraryName: String, requests: [InstallRequest],
                            flags: [String]) -> InstalledPackages? {
        let library = "\(folder)/lib\(libraryName).so"
        guard access(library, R_OK) == 0, access("\(folder)/Modules", R_OK) == 0,
              let data = FileManager.default.contents(atPath: "\(folder)/\(Self.marker)") else { return nil }
        let clang = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        return InstalledPackages(key: key, libraryPath: library, libraryDirectory: folder, libraryName: libraryName,
                                 moduleSearchPaths: ["\(folder)/Modules"], clangArguments: clang,
                                 requests: requests, flags: flags)
    }

    private func copy(_ source: String, to target: String) -> Bool {
        PrivateFiles.copy(from: source, to: target) != nil
    }

    /// Copies the module files (`.swiftmodule`, `.swiftdoc`, `.swiftsourceinfo`) of a build.
    private func copyModules(from source: String, to target: String) -> Bool {
        guard PrivateFiles.makeDirectory(target),
              let names = try? FileManager.default.contentsOfDirectory(atPath: source) else { return false }
        for name in names where name.hasSuffix(".swiftmodule") || name.hasSuffix(".swiftdoc")
            || name.hasSuffix(".swiftsourceinfo") {
            var info = stat()
            guard stat("\(source)/\(name)", &info) == 0 else { return false }
            if (info.st_mode & S_IFMT) == S_IFDIR { continue }
            guard copy("\(source)/\(name)", to: "\(target)/\(name)") else { return false }
        }
        return true
    }

    /// The generated Package.swift.
    func manifest(requests: [InstallRequest], libraryName: String) -> String {
        let dependencies = requests.map { "        \($0.spec)," }.joined(separator: "\n")
        let products = requests.flatMap { request in
            request.products.map { ".product(name: \"\($0)\", package: \"\(request.identity)\")" }
        }.joined(separator: ",\n                ")
        return """
            // swift-tools-version:5.9
            // Generated by swift-lstm-kernel for %install; rewritten on every install of this set.
            import PackageDescription

            let package = Package(
                name: "\(Self.targetName)",
                products: [.library(name: "\(libraryName)", type: .dynamic, targets: ["\(Self.targetName)"])],
                dependencies: [
            \(dependencies)
                ],
                targets: [
                    .target(name: "\(Self.targetName)", dependencies: [
                            \(products)
                    ]),
                ]
            )

            """
    }

    /// The flags SwiftPM gave the set's own target for the C modules of the packages (`-Xcc
    /// -fmodule-map-file=…`, `-Xcc -I…`), read from the build's description; nil when it is missing.
    private func clangArguments(release: String) -> [String]? {
        let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: release))
            .map { $0.hasPrefix("/") ? $0 : (release as NSString).deletingLastPathComponent + "/" + $0 } ?? release
        guard let data = FileManager.default.contents(atPath: "\(resolved)/description.json"),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let commands = json["swiftCommands"] as? [String: Any],
              let own = commands.first(where: { $0.key.hasPrefix("C.\(Self.targetName)-") })?.value as? [String: Any]
        else { return nil }
        let other = own["otherArguments"] as? [String] ?? []
        var clang: [String] = []
        var i = 0
        while i < other.count {
            if other[i] == "-Xcc", i + 1 < other.count,
               other[i + 1].hasPrefix("-fmodule-map-file=") || other[i + 1].hasPrefix("-I") {
                clang += ["-Xcc", other[i + 1]]
                if other[i + 1] == "-I", i + 3 < other.count, other[i + 2] == "-Xcc" {
                    clang += ["-Xcc", other[i + 3]]
                    i += 2
                }
                i += 2
            } else {
                i += 1
            }
        }
        return clang
    }

    /// The sentence an `InstallError` shows for a failed build.
    func diagnose(_ output: String, requests: [InstallRequest], folder: String, scratch: String) -> String {
        let lines = output.split(separator: "\n").map { String($0) }
        // A product the package does not have: SwiftPM names it; we add the products there are.
        for line in lines {
            guard let range = line.range(of: "product '"), line.contains("not found in package '") else { continue }
            let product = line[range.upperBound...].prefix { $0 != "'" }
            let package = line.components(separatedBy: "not found in package '").last?.prefix { $0 != "'" } ?? ""
            let known = products(of: String(package), requests: requests, scratch: scratch)
            let list = known.map { $0.isEmpty ? "(none)" : $0.joined(separator: ", ") } ?? "(could not be read)"
            return "package '\(package)' has no product '\(product)'; its products are: \(list)"
        }
        // A compiler error: the first one, with its file and line.
        for line in lines {
            guard let marker = line.range(of: ": error: ") else { continue }
            let location = line[..<marker.lowerBound].split(separator: ":")
            if location.count >= 3, Int(location[location.count - 2]) != nil {
                let file = location.dropLast(2).joined(separator: ":")
                // The generated manifest: a spec with labels SwiftPM does not know.
                if file == "\(folder)/Package.swift" {
                    return "the package spec is not a valid SwiftPM dependency: \(line[marker.upperBound...])"
                }
                return "the package did not compile: \(file):\(location[location.count - 2]): "
                    + "error: \(line[marker.upperBound...])"
            }
        }
        // Resolution (unknown package or version) and everything else: SwiftPM's own first error.
        if let index = lines.firstIndex(where: { $0.contains("error: ") && !$0.contains("ExitCode(") }) {
            let first = lines[index]
            var message = first.range(of: "error: ").map { String(first[$0.upperBound...]) } ?? first
            // "Failed to clone repository …:" is followed by git's reason.
            if message.hasSuffix(":"),
               let reason = lines[(index + 1)...].prefix(4).first(where: { $0.contains("fatal:") }) {
                message += " " + reason.trimmingLeadingSpaces()
            }
            return "swift build failed: " + message
        }
        return "swift build failed (see the log below)"
    }

    /// The products a dependency declares (`swift package dump-package`), for an unknown-product error.
    func products(of package: String, requests: [InstallRequest], scratch: String) -> [String]? {
        let request = requests.first { $0.identity == package.lowercased() }
        var path = request?.localPath
        if path == nil {
            let checkouts = "\(scratch)/checkouts"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: checkouts)) ?? []
            path = names.first { $0.lowercased() == package.lowercased() }.map { "\(checkouts)/\($0)" }
        }
        guard let path,
              let result = Subprocess.run([swift, "package", "dump-package", "--package-path", path]),
              result.status == 0,
              let start = result.output.firstIndex(of: "{"),
              let json = try? JSONSerialization.jsonObject(with: Data(result.output[start...].utf8)) as? [String: Any],
              let products = json["products"] as? [[String: Any]] else { return nil }
        return products.compactMap { $0["name"] as? String }
    }

    /// Sizes and modification times of a local package's files (its `.build` and hidden folders left
    /// out): a changed `path:` package gets a new key and is built again.
    static func fingerprint(of path: String) -> String {
        var parts: [String] = []
        let manager = FileManager.default
        guard let walker = manager.enumerator(atPath: path) else { return "missing" }
        while let name = walker.nextObject() as? String {
            let last = (name as NSString).lastPathComponent
            if last.hasPrefix(".") { walker.skipDescendants(); continue }
            var info = stat()
            guard stat("\(path)/\(name)", &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            parts.append("\(name):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)")
        }
        return parts.sorted().joined(separator: "|")
    }
}
