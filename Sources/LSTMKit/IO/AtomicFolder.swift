import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a folder's files as a whole, so a process killed at any moment (SIGKILL, power loss after the
/// final rename) leaves either the old folder or the new one, never a mix: `Model.save(to:)` uses it.
///
/// 1. The new files are written and fsync'd into a temporary sibling `.<name>.lstmkit-tmp-<pid>-<random>`.
/// 2. If the target does not exist the sibling is renamed to it. Otherwise the two folders are swapped in one
///    step (Linux `renameat2(RENAME_EXCHANGE)`, macOS `renamex_np(RENAME_SWAP)`), the parent is fsync'd,
///    and the old folder, now under the temporary name, is removed.
/// 3. Where the atomic swap is unavailable the old folder is first renamed to
///    `.<name>.lstmkit-old-<pid>-<random>` and the new one renamed into place; `resolve(_:)` lets a reader
///    find that old folder in the instant between the two renames.
///
/// Leftovers of a killed writer (siblings whose pid is no longer running) are removed by the next `replace`.
enum AtomicFolder {
    /// The file names a replaceable folder may hold; anything else makes `replace` refuse, so a mistyped path
    /// never swaps away (and deletes) a folder of the user's own files.
    static let ownedNames: Set<String> = ["model.json", "model.safetensors"]

    private static let tempTag = ".lstmkit-tmp-"
    private static let oldTag = ".lstmkit-old-"

    /// Writes `files` (name → bytes) as the complete contents of the folder at `url`, atomically.
    static func replace(_ url: URL, with files: [(name: String, data: Data)]) throws {
        let target = url.standardizedFileURL.resolvingSymlinksInPath()
        let parent = target.deletingLastPathComponent(), name = target.lastPathComponent
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: target.path, isDirectory: &isDirectory)
        if exists {
            guard isDirectory.boolValue else {
                throw LSTMKitError.io("\(target.path) is a file; expected a model folder written by save(to:), or no file at that path")
            }
            // Hidden entries (JupyterLab's `.ipynb_checkpoints`, editors' files) are not the user's data
            // either way; they are carried over into the new folder below.
            let foreign = ((try? fm.contentsOfDirectory(atPath: target.path)) ?? [])
                .filter { !ownedNames.contains($0) && !$0.hasPrefix(".") }.sorted()
            guard foreign.isEmpty else {
                throw LSTMKitError.io(
                    "\(target.path) holds files save(to:) did not write (\(foreign.prefix(3).joined(separator: ", "))\(foreign.count > 3 ? ", …" : "")); expected only \(ownedNames.sorted().joined(separator: " and ")): choose an empty or new folder")
            }
        }
        do { try fm.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
            throw LSTMKitError.io("could not create \(parent.path): \(error.localizedDescription)")
        }
        removeStaleSiblings(of: target)

        let temp = parent.appendingPathComponent(siblingName(name, tempTag))
        guard mkdir(temp.path, 0o755) == 0 else { throw posixError("create the temporary folder", temp.path) }
        var committed = false
        defer { if !committed { try? fm.removeItem(at: temp) } }
        var oldInfo = stat()
        if exists, stat(target.path, &oldInfo) == 0 {
            // The new folder gets the old one's permissions (a folder the user made private stays private)
            // and its hidden entries, moved (same file system: a rename) before the swap.
            _ = chmod(temp.path, oldInfo.st_mode & 0o7777)
            for hidden in ((try? fm.contentsOfDirectory(atPath: target.path)) ?? []) where hidden.hasPrefix(".") {
                _ = rename(target.appendingPathComponent(hidden).path, temp.appendingPathComponent(hidden).path)
            }
        }
        for file in files { try writeSynced(file.data, to: temp.appendingPathComponent(file.name)) }
        try syncPath(temp.path)

        if !exists {
            guard rename(temp.path, target.path) == 0 else { throw posixError("rename the new folder into place at", target.path) }
            committed = true
            try? syncPath(parent.path)
            removeStaleSiblings(of: target)
            return
        }
        if exchange(temp.path, target.path) {
            committed = true
            try? syncPath(parent.path)
            try? fm.removeItem(at: temp)   // now the old folder
            removeStaleSiblings(of: target)
            return
        }
        // No atomic swap on this file system: move the old folder aside first (see `resolve`).
        let old = parent.appendingPathComponent(siblingName(name, oldTag))
        guard rename(target.path, old.path) == 0 else { throw posixError("move the old folder aside from", target.path) }
        guard rename(temp.path, target.path) == 0 else {
            let e = posixError("rename the new folder into place at", target.path)
            _ = rename(old.path, target.path)
            throw e
        }
        committed = true
        try? syncPath(parent.path)
        try? fm.removeItem(at: old)
        removeStaleSiblings(of: target)
    }

    /// The folder a reader should open for `url`: `url` itself, or — only when it is missing because a writer
    /// without the atomic swap was stopped between its two renames — the old folder it moved aside.
    static func resolve(_ url: URL) -> URL {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: url.path) else { return url }
        let target = url.standardizedFileURL
        let prefix = "." + target.lastPathComponent + oldTag
        let parent = target.deletingLastPathComponent()
        let candidates = ((try? fm.contentsOfDirectory(atPath: parent.path)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
        for c in candidates where fm.fileExists(atPath: parent.appendingPathComponent(c).appendingPathComponent("model.json").path) {
            return parent.appendingPathComponent(c)
        }
        return url
    }

    /// Reads the files `names` of the folder at `url` from one and the same folder even while a writer swaps
    /// it: all are opened relative to one directory descriptor (a swap renames folders, it does not change
    /// what an open descriptor refers to). If the folder is removed between the opens (the writer deleting
    /// the old one), the read starts over on the new folder. Throws `LSTMKitError.io` naming the file.
    static func read(_ names: [String], in url: URL) throws -> [Data] {
        var attempt = 0
        while true {
            attempt += 1
            let dir = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard dir >= 0 else { throw posixError("read the folder", url.path) }
            defer { close(dir) }
            var out: [Data] = []
            for name in names {
                let fd = openat(dir, name, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { break }
                let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
                do { out.append(try handle.readToEnd() ?? Data()) } catch {
                    throw LSTMKitError.io("could not read \(url.appendingPathComponent(name).path): \(error.localizedDescription)")
                }
            }
            if out.count == names.count { return out }
            let missing = url.appendingPathComponent(names[out.count]).path
            guard errno == ENOENT, attempt < 5 else { throw posixError("read", missing) }
            // Retry only when the path now names another folder (a concurrent save swapped ours out and is
            // removing it); a file missing from the current folder is an error.
            let lost = errno
            var opened = stat(), current = stat()
            guard fstat(dir, &opened) == 0, stat(url.path, &current) == 0,
                  opened.st_dev != current.st_dev || opened.st_ino != current.st_ino else {
                errno = lost
                throw posixError("read", missing)
            }
        }
    }

    /// `.<name><tag><pid>-<random>`: the pid lets a later writer tell a dead writer's leftovers from a live one's.
    private static func siblingName(_ name: String, _ tag: String) -> String {
        ".\(name)\(tag)\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Removes temporary and moved-aside siblings of `target` left by writers that are no longer running.
    private static func removeStaleSiblings(of target: URL) {
        let fm = FileManager.default
        let parent = target.deletingLastPathComponent(), base = "." + target.lastPathComponent
        for entry in (try? fm.contentsOfDirectory(atPath: parent.path)) ?? [] {
            for tag in [tempTag, oldTag] where entry.hasPrefix(base + tag) {
                let rest = entry.dropFirst(base.count + tag.count)
                guard let pid = rest.split(separator: "-").first.flatMap({ Int32($0) }) else { continue }
                // An old folder is only removed when the target exists again (else it is the last copy).
                if tag == oldTag && !fm.fileExists(atPath: target.path) { continue }
                if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                    try? fm.removeItem(at: parent.appendingPathComponent(entry))
                }
            }
        }
    }

    /// Swaps two paths in one step; false when the platform or file system cannot.
    private static func exchange(_ a: String, _ b: String) -> Bool {
        #if os(Linux)
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        // renameat2 is not in Swift's Glibc module map; glibc ≥ 2.28 exports it.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let renameExchange: UInt32 = 1 << 1
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
        #elseif canImport(Darwin)
        return renamex_np(a, b, UInt32(RENAME_SWAP)) == 0
        #else
        return false
        #endif
    }

    /// Writes `data` to a new file and fsyncs it before closing.
    private static func writeSynced(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw posixError("create", url.path) }
        defer { close(fd) }
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw posixError("write", url.path) }
                done += n
            }
        }
        guard fsync(fd) == 0 else { throw posixError("fsync", url.path) }
    }

    /// fsyncs a file or folder by path.
    private static func syncPath(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw posixError("open", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw posixError("fsync", path) }
    }

    private static func posixError(_ action: String, _ path: String) -> LSTMKitError {
        .io("could not \(action) \(path): \(String(cString: strerror(errno)))")
    }
}
