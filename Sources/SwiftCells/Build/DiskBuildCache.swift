import Foundation

/// Built cells kept on disk across kernel sessions, so "Restart & Run All" of an unchanged notebook loads
/// each cell's library instead of recompiling it.
///
/// An entry is keyed by the in-session key (source, imported cells' keys, toolchain, flags, library
/// fingerprint) plus the module number, because the module name is compiled into the library. Cells are
/// linked with `$ORIGIN` as their search path for earlier cells, so a library copied into a new session
/// folder finds its predecessors there. Entries are written to a temporary folder and renamed into place,
/// so a concurrent kernel never sees half an entry.
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

    /// A cache in `directory` (created when missing); nil when it cannot be created.
    public init?(directory: String) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            return nil
        }
        self.directory = directory
    }

    static func files(module: Int) -> [String] { ["libCell\(module).so", "Cell\(module).swiftmodule"] }

    /// Copies the entry's files into `workDirectory`; false when there is no (complete) entry.
    public func fetch(key: String, module: Int, into workDirectory: String) -> Bool {
        let entry = "\(directory)/\(key)"
        let manager = FileManager.default
        let names = Self.files(module: module)
        guard names.allSatisfy({ manager.fileExists(atPath: "\(entry)/\($0)") }) else { return false }
        for name in names {
            let target = "\(workDirectory)/\(name)"
            try? manager.removeItem(atPath: target)
            guard (try? manager.copyItem(atPath: "\(entry)/\(name)", toPath: target)) != nil else { return false }
        }
        // Touch the entry: eviction removes the least recently used.
        try? manager.setAttributes([.modificationDate: Date()], ofItemAtPath: entry)
        return true
    }

    /// Stores the files of a fresh build from `workDirectory` (best effort: a full disk only costs speed).
    public func save(key: String, module: Int, from workDirectory: String) {
        let manager = FileManager.default
        let entry = "\(directory)/\(key)"
        guard !manager.fileExists(atPath: entry) else { return }
        let staging = "\(directory)/.staging-\(key)-\(getpid())"
        do {
            try manager.createDirectory(atPath: staging, withIntermediateDirectories: true)
            for name in Self.files(module: module) {
                try manager.copyItem(atPath: "\(workDirectory)/\(name)", toPath: "\(staging)/\(name)")
            }
            try manager.moveItem(atPath: staging, toPath: entry)
        } catch {
            try? manager.removeItem(atPath: staging)
            return
        }
        evictIfNeeded()
    }

    private func evictIfNeeded() {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory), names.count > capacity else { return }
        let dated = names.filter { !$0.hasPrefix(".") }.map { name -> (String, Date) in
            let date = (try? manager.attributesOfItem(atPath: "\(directory)/\(name)")[.modificationDate]) as? Date
            return (name, date ?? .distantPast)
        }.sorted { $0.1 < $1.1 }
        for (name, _) in dated.prefix(dated.count - capacity * 9 / 10) {
            try? manager.removeItem(atPath: "\(directory)/\(name)")
        }
    }
}
