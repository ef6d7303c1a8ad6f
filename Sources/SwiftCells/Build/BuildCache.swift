/// A built cell: its module, shared library, and the key it was cached under.
public struct CellBuild: Equatable, Sendable {
    /// The cell module number (`Cell<module>`, entry point `cell<module>_main`).
    public var module: Int
    /// Absolute path of `libCell<module>.so`.
    public var libraryPath: String
    /// The cache key (hex): generated source, imported cells' keys, toolchain version and flags.
    public var key: String
    /// The C symbol the worker calls to run the cell.
    public var entryPoint: String { "cell\(module)_main" }
}

/// Remembers built cells by a hash of everything that decides the build, so re-running an unchanged cell
/// after the same predecessors loads the existing library instead of recompiling.
///
/// The key hashes the generated source *without* its cell number (so a re-run can reuse the earlier
/// module), the keys of the cells it imports, the toolchain version and the compiler flags.
public struct BuildCache: Sendable {
    private var builds: [String: CellBuild] = [:]

    public init() {}

    /// The build for `key`, if there is one.
    public func lookup(_ key: String) -> CellBuild? { builds[key] }

    /// Forgets the build for `key`.
    public mutating func remove(_ key: String) { builds[key] = nil }

    /// Stores a successful build.
    public mutating func store(_ build: CellBuild) { builds[build.key] = build }

    /// The cache key for a cell: `parts` are hashed in order with separators, so no two different
    /// sequences collide by concatenation.
    public static func key(_ parts: [String]) -> String {
        var hash = FNV128()
        for part in parts {
            hash.add(String(part.utf8.count))
            hash.add("\u{0}")
            hash.add(part)
        }
        return hash.hex
    }
}

/// 128-bit FNV-1a: a fast, dependency-free content hash for cache keys (not for security).
struct FNV128 {
    private var state: UInt128 = 0x6c62272e07bb014262b821756295c58d
    private static let prime: UInt128 = 0x0000000001000000000000000000013B

    mutating func add(_ text: String) {
        for byte in text.utf8 {
            state ^= UInt128(byte)
            state = state &* Self.prime
        }
    }

    var hex: String {
        let digits = String(state, radix: 16)
        return String(repeating: "0", count: 32 - digits.count) + digits
    }
}
