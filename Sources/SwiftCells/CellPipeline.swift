/// A cell that compiled and is ready to run: what the worker loads and what to record if it succeeds.
public struct PreparedCell: Sendable {
    public var analysis: CellAnalysis
    public var build: CellBuild
    /// True when the library came from the build cache (nothing was compiled).
    public var cached: Bool
    /// Seconds spent parsing, generating, compiling and linking.
    public var timings: PipelineTimings
}

/// Where the time of one cell went, in seconds (the benchmark reports these).
public struct PipelineTimings: Equatable, Sendable {
    public var parse: Double = 0
    public var generate: Double = 0
    public var compile: Double = 0
    public var link: Double = 0
    /// dlopen of the cell's library in the worker.
    public var load: Double = 0
    /// The cell's own code.
    public var run: Double = 0
    public init() {}
}

/// The kernel side of the cell pipeline: analysis, code generation, build cache, compiler, and the
/// symbol table of names earlier cells declared. Not thread-safe: the kernel calls it from its shell
/// thread only (and `importHeader()` from wherever completion runs, under the caller's lock).
public final class CellPipeline {
    public let toolchain: Toolchain
    public private(set) var compiler: CellCompiler
    public let generator: CellSourceGenerator
    /// The packages `%install` built (the newest set holds every earlier one), or nil.
    public private(set) var packages: InstalledPackages?
    /// State visible to the next cell.
    public private(set) var table = SymbolTable()
    private var cache = BuildCache()
    private let diskCache: DiskBuildCache?
    private var nextModule = 1
    /// Cache keys of the modules in use (imported cells' keys are part of each key).
    private var moduleKeys: [Int: String] = [:]

    /// - Parameter diskCache: builds kept across sessions (`DiskBuildCache.standard()`), or nil for none.
    public init(toolchain: Toolchain, workDirectory: String, diskCache: DiskBuildCache? = nil) {
        self.toolchain = toolchain
        self.diskCache = diskCache
        self.compiler = CellCompiler(toolchain: toolchain, workDirectory: workDirectory)
        self.generator = CellSourceGenerator(
            implicitImports: toolchain.implicitModules,
            resultFunction: toolchain.hasCellResultFunction ? "NotebookDisplay._notebookCellResult" : nil)
    }

    /// The prelude the next cell would get (implicit imports, earlier imports, scoped testable imports).
    public func importHeader() -> String { generator.header(for: table) }

    /// Parses, generates and builds `code` (or finds it in the cache). Changes no state: call `commit`
    /// once the cell ran successfully.
    public func prepare(_ code: String) throws(CellError) -> PreparedCell {
        var timings = PipelineTimings()
        var start = Clock.now()
        let analysis = CellAnalyzer.analyze(code)
        timings.parse = Clock.now() - start
        if analysis.usesTopLevelAwait {
            throw .unsupported("top-level `await` cannot run in a cell (an async script would end the worker "
                + "when it finishes); move the awaiting code into an `async` function and call it from a "
                + "`Task`, or use a synchronous API")
        }

        start = Clock.now()
        let ownNames = Set(analysis.declaredNames)
        let header = generator.header(for: table, excluding: ownNames)
        let imported = table.importedModules(excluding: ownNames)
        var keyParts = [toolchain.version, toolchain.libraryFingerprint,
                        compiler.compileFlags.joined(separator: " "),
                        generator.resultFunction ?? "", header, code]
        keyParts += imported.map { moduleKeys[$0] ?? "Cell\($0)" }
        // Cells built against installed packages: a different set is a different build.
        if let packages { keyParts.append("packages:" + packages.key) }
        let key = BuildCache.key(keyParts)
        if let hit = cache.lookup(key) {
            timings.generate = Clock.now() - start
            return PreparedCell(analysis: analysis, build: hit, cached: true, timings: timings)
        }
        let module = nextModule
        let diskKey = BuildCache.key([key, String(module)])
        if let diskCache, diskCache.fetch(key: diskKey, module: module, into: compiler.workDirectory) {
            let build = CellBuild(module: module, libraryPath: "\(compiler.workDirectory)/libCell\(module).so", key: key)
            nextModule += 1
            moduleKeys[module] = key
            cache.store(build)
            timings.generate = Clock.now() - start
            return PreparedCell(analysis: analysis, build: build, cached: true, timings: timings)
        }
        let source = generator.generate(code: code, analysis: analysis, table: table, module: module)
        timings.generate = Clock.now() - start

        var buildTimings = CellCompiler.Timings()
        let build: CellBuild
        do {
            build = try compiler.build(source: source, module: module, linking: imported, key: key,
                                       timings: &buildTimings)
        } catch .compile(let diagnostics) {
            throw .compile(diagnostics.showingUserCode(code, analysis: analysis,
                                                       wrapperLength: generator.wrapperPrefixLength))
        }
        // Module numbers are never reused: two libraries with the same module name in one worker would
        // clash on every symbol.
        nextModule += 1
        moduleKeys[module] = key
        cache.store(build)
        diskCache?.save(key: diskKey, module: module, from: compiler.workDirectory)
        timings.compile = buildTimings.compile
        timings.link = buildTimings.link
        return PreparedCell(analysis: analysis, build: build, cached: false, timings: timings)
    }

    /// Lets every later cell import and link the packages of `set` (after its library was loaded).
    public func usePackages(_ set: InstalledPackages) {
        packages = set
        compiler.packageCompileArguments = set.compileArguments
        compiler.packageLinkArguments = set.linkArguments
    }

    /// Records a cell that ran successfully: its names shadow earlier ones for the cells after it.
    public func commit(_ cell: PreparedCell) {
        table.record(cell.analysis, module: cell.build.module)
    }

    /// Drops a cached build that did not load (from memory and from the disk cache), so the next
    /// `prepare` of the same code compiles it again.
    public func discard(_ cell: PreparedCell) {
        cache.remove(cell.build.key)
        diskCache?.remove(key: BuildCache.key([cell.build.key, String(cell.build.module)]))
    }

    /// Forgets every name (after `%reset` or a worker restart); built libraries stay cached.
    public func resetState() {
        table = SymbolTable()
    }
}
