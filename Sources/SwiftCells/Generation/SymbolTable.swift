/// The state the next cell sees: every top-level name an earlier successful cell declared, with its kind
/// and the newest cell that declared it, plus the user's earlier imports.
///
/// Only successful cells are recorded, so a failed cell changes nothing here.
public struct SymbolTable: Equatable, Sendable {
    /// Where a name lives: the newest cell module that declared it.
    public struct Entry: Equatable, Sendable {
        public var kind: DeclarationKind
        /// The cell module number (`Cell<module>`).
        public var module: Int
    }

    /// Name → newest declaration.
    public private(set) var entries: [String: Entry] = [:]
    /// The user's `import` lines, first occurrence order, each once.
    public private(set) var imports: [String] = []
    /// Cell modules that declared operators (imported whole, `@testable import CellK`).
    public private(set) var operatorModules: [Int] = []
    /// Cell modules that declared extensions (imported through their anchor type).
    public private(set) var extensionModules: [Int] = []

    public init() {}

    /// Records a successful cell compiled as module `Cell<module>`.
    public mutating func record(_ analysis: CellAnalysis, module: Int) {
        for declaration in analysis.declarations {
            entries[declaration.name] = Entry(kind: declaration.kind, module: module)
        }
        for line in analysis.imports where !imports.contains(line) {
            imports.append(line)
        }
        if analysis.declaresOperators { operatorModules.append(module) }
        if analysis.declaresExtensions { extensionModules.append(module) }
    }

    /// Names in scope with their kinds, sorted by name.
    public var names: [(name: String, kind: DeclarationKind, module: Int)] {
        entries.keys.sorted().map { ($0, entries[$0]!.kind, entries[$0]!.module) }
    }

    /// Every cell module the next cell imports from (sorted), leaving out names it declares itself.
    public func importedModules(excluding names: Set<String> = []) -> [Int] {
        Set(entries.filter { !names.contains($0.key) }.map(\.value.module))
            .union(operatorModules).union(extensionModules).sorted()
    }
}
