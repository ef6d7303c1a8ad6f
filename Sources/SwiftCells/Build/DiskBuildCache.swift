import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Built cells kept on disk across kernel sessions, so "Restart & Run All" of an unchanged notebook loads
/// each cell's library instead of recompiling it.
///
/// An entry is keyed by the in-session key (source, imported cells' keys, toolchain, flags, library
/// fingerprint) plus the module number, because the module name is compiled into the library. Cells are
/// linked with `$ORIGIN` as their search path for earlier cells, so a library copied into a new session
/// folder finds its predecessors there. Entries are written to a temporary folder and renamed into place,
/// so a concurrent kernel never sees half an entry. Each entry records the SHA-256 of its files, checked
/// while they are copied out: a truncated or planted library is deleted and rebuilt, never loaded.
public struct DiskBuildCache: Sendable {
    /// The folder holding one subfolder per entry.
    public let directory: String
    /// Entries kept; beyond it the oldest are removed.
    public var capacity = 2000

    /// The cache at `$SWIFT_LSTM_CELL_CACHE`, else `$XDG_CACHE_HOME/swift-lstm-kernel/cells` (or
    /// `~/.cache/…`); nil when `SWIFT_LSTM_CELL_CACHE` is `off` or no folder can be made.
    public static func standard() -> DiskBuildCache? {
        let env = ProcessInfo.processInfo.environment
        let directory: String
        if let explicit = env["SWIFT_LSTM_CELL_CACHE"], !explicit.isEmpty {
            if explicit == "off" { return nil }
            directory = explicit
        } else {
            let base = env["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")
            directory = base + "/swift-lstm-kernel/cells"
        }
        return DiskBuildCache(directory: directory)
    }

    /// A cache in `directory` (created 0700 when missing); nil when it cannot be created.
    public init?(directory: String) {
        guard PrivateFiles.makeDirectory(directory) else { return nil }
        if let reason = PrivateFiles.untrustedReason(directory) {
            fputs("[swift-lstm-kernel] not using the cell cache \(directory): \(reason)\n", stderr)
            return nil
        }
        self.directory = directory
    }

    /// The files every entry has: the library and its module.
    static func files(module: Int) -> [String] { ["libCell\(module).so", "Cell\(module).swiftmodule"] }

    /// Files kept when the build made them: the doc comments, which inspect shows for an earlier cell's
    /// names. Checked like the others when an entry records them.
    static func optionalFiles(module: Int) -> [String] { ["Cell\(module).swiftdoc"] }

    /// The file in each entry recording `<sha256> <size> <name>` for every file of the entry.
    static let checksumFile = "SHA256SUMS"

    /// Copies the entry's files into `workDirectory`, checking each against the entry's recorded SHA-256
    /// and size as it is copied; false when there is no entry. An entry that does not match (a truncated
    /// or replaced library, or one written before checksums were kept) is deleted, so the cell is compiled
    /// again and a damaged library is never loaded.
    public func fetch(key: String, module: Int, into workDirectory: String) -> Bool {
        let entry = "\(directory)/\(key)"
        var info = stat()
        guard stat(entry, &info) == 0 else { return false }
        let recorded = Self.readChecksums("\(entry)/\(Self.checksumFile)")
        let required = Self.files(module: module)
        let names = required + Self.optionalFiles(module: module).filter { recorded[$0] != nil }
        var good = required.allSatisfy { recorded[$0] != nil }
        for name in names where good {
            // A file of the wrong size is rejected before anything is copied (a planted huge file).
            var file = stat()
            guard stat("\(entry)/\(name)", &file) == 0, Int(file.st_size) == recorded[name]?.size else {
                good = false
                break
            }
            let target = "\(workDirectory)/\(name)"
            guard let copied = PrivateFiles.copy(from: "\(entry)/\(name)", to: target),
                  let expected = recorded[name], copied.digest == expected.digest, copied.size == expected.size else {
                good = false
                break
            }
        }
        guard good else {
            for name in names { unlink("\(workDirectory)/\(name)") }
            remove(key: key)
            return false
        }
        // Touch the entry: eviction removes the least recently used.
        utimes(entry, nil)
        return true
    }

    /// Stores the files of a fresh build from `workDirectory` with their checksums (best effort: a full
    /// disk only costs speed). Folders are 0700 and files 0600.
    public func save(key: String, module: Int, from workDirectory: String) {
        let entry = "\(directory)/\(key)"
        var info = stat()
        guard stat(entry, &info) != 0 else { return }
        let staging = "\(directory)/.staging-\(key)-\(getpid())"
        Subprocess.removeTree(staging)
        var sums = ""
        var complete = PrivateFiles.makeDirectory(staging)
        let optional = Self.optionalFiles(module: module).filter { access("\(workDirectory)/\($0)", F_OK) == 0 }
        for name in Self.files(module: module) + optional where complete {
            guard let copied = PrivateFiles.copy(from: "\(workDirectory)/\(name)", to: "\(staging)/\(name)") else {
                complete = false
                break
            }
            sums += "\(copied.digest) \(copied.size) \(name)\n"
        }
        complete = complete && PrivateFiles.write(Array(sums.utf8), to: "\(staging)/\(Self.checksumFile)")
        guard complete, rename(staging, entry) == 0 else {
            Subprocess.removeTree(staging)
            return
        }
        evictIfNeeded()
    }

    /// Deletes the entry for `key`, if there is one.
    public func remove(key: String) {
        let entry = "\(directory)/\(key)"
        // Renamed away first, so a concurrent kernel never sees it half deleted.
        let doomed = "\(directory)/.removing-\(key)-\(getpid())"
        if rename(entry, doomed) == 0 { Subprocess.removeTree(doomed) }
    }

    /// `name → (digest, size)` from a checksum file; empty when it is missing or unreadable.
    static func readChecksums(_ path: String) -> [String: (digest: String, size: Int)] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [:] }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return [:] }
        var sums: [String: (digest: String, size: Int)] = [:]
        for line in String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[0].count == 64, let size = Int(fields[1]) else { continue }
            sums[String(fields[2])] = (String(fields[0]), size)
        }
        return sums
    }

    private func evictIfNeeded() {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory), names.count > capacity else { return }
        let dated = names.filter { !$0.hasPrefix(".") }.map { name -> (String, Date) in
            let date = (try? manager.attributesOfItem(atPath: "\(directory)/\(name)")[.modificationDate]) as? Date
            return (name, date ?? .distantPast)
        }.sorted { $0.1 < $1.1 }
        for (name, _) in dated.prefix(max(0, dated.count - capacity * 9 / 10)) {
            try? manager.removeItem(atPath: "\(directory)/\(name)")
        }
    }
}
