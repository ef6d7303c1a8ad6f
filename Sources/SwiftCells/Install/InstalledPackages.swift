/// A built install set: the shared library holding every installed product, and what a cell needs to
/// compile against it and link it.
public struct InstalledPackages: Equatable, Sendable {
    /// The cache key of the set (specs, products, flags, toolchain): part of every later cell's key.
    public var key: String
    /// `…/libNotebookInstall<key>.so`, dlopened into the worker.
    public var libraryPath: String
    /// Folder of `libraryPath` (`-L`, run path).
    public var libraryDirectory: String
    /// The library's name for `-l`.
    public var libraryName: String
    /// Folders with the products' `.swiftmodule` files (`-I`).
    public var moduleSearchPaths: [String]
    /// Extra compiler arguments SwiftPM gave the set's own target to see C modules of the packages
    /// (`-Xcc -fmodule-map-file=…`, `-Xcc -I…`).
    public var clangArguments: [String]
    /// Every request of the set, earlier installs first.
    public var requests: [InstallRequest]
    /// `%install-swiftpm-flags` of the set.
    public var flags: [String]

    /// What `swiftc` needs to compile a cell that imports the products.
    public var compileArguments: [String] {
        moduleSearchPaths.flatMap { ["-I", $0] } + clangArguments
    }

    /// What the linker needs to link a cell against the library.
    public var linkArguments: [String] {
        ["-L", libraryDirectory, "-l" + libraryName, "-Xlinker", "-rpath", "-Xlinker", libraryDirectory]
    }
}
