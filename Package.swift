// swift-tools-version:6.0
import PackageDescription

/// LSTMKit and NotebookDisplay are compiled optimised even in debug builds: the debug configuration is
/// what `make build` and `swift test` share (one build instead of two), and training speed must not
/// depend on it. See README "Build time". `-fno-math-errno` lets `squareRoot()` (a C inline under the
/// hood) vectorise in the optimizer updates instead of keeping a scalar errno fallback.
let optimised: [SwiftSetting] = [.unsafeFlags(["-O", "-Xcc", "-fno-math-errno"])]

let package = Package(
    name: "SwiftLSTMKernel",
    products: [
        .executable(name: "swift-lstm-kernel", targets: ["swift-lstm-kernel"]),
        // One shared library holds both modules, so the worker and every cell see a single copy of
        // LSTMKit's types and globals (NotebookDisplay depends on LSTMKit).
        .library(name: "LSTMKit", type: .dynamic, targets: ["LSTMKit", "NotebookDisplay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/swiftlang/swift-syntax", exact: "603.0.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // No pkgConfig: zmq.h and libzmq.so are in the default search paths wherever libzmq3-dev installs
        // them (Debian: /usr/include, /usr/lib/<arch>), and libzmq.pc's Cflags (-isystem
        // /usr/include/mit-krb5, for its static dependencies) made SwiftPM warn "prohibited flag(s)" on
        // every build. `make setup` installs libzmq3-dev (see README).
        .systemLibrary(name: "CZeroMQ"),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "JupyterProtocol", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "JupyterKernel", dependencies: ["JupyterProtocol", "CZeroMQ"]),
        // CellHost is the worker side; the kernel side in SwiftCells shares its pipe line format.
        .target(name: "SwiftCells", dependencies: [
            "CellHost",
            // SHA-256 of the cell libraries in the disk cache.
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftSyntax", package: "swift-syntax"),
            .product(name: "SwiftParser", package: "swift-syntax"),
        ]),
        // The worker side. It does not link LSTMKit or NotebookDisplay: it dlopens libLSTMKit.so so that
        // exactly one copy lives in the worker, and talks to it through @_cdecl entry points.
        .target(name: "CellHost"),
        // Elementwise kernels (Adam, sigmoid, tanh) built per instruction set and chosen at run time; linked
        // statically into libLSTMKit.so. Optimised like LSTMKit; no FMA contraction, so every variant
        // rounds identically.
        // OneDNNRNN.c serves Keras's "cuDNN" LSTM/GRU cases through oneDNN's RNN primitives (libdnnl).
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2", "-fno-math-errno", "-ffp-contract=off"])],
                linkerSettings: [.linkedLibrary("dnnl")]),
        .target(name: "LSTMKit", dependencies: ["CBLAS", "CKernels"], swiftSettings: optimised),
        .target(name: "NotebookDisplay", dependencies: ["LSTMKit"], swiftSettings: optimised),
        .executableTarget(
            name: "swift-lstm-kernel",
            dependencies: [
                "JupyterKernel", "SwiftCells", "CellHost",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"])]
        ),
        // Helpers every test target shares: the tutorial models are built once here, not per target.
        .target(name: "TestSupport", dependencies: ["LSTMKit"], path: "Tests/TestSupport"),
        .testTarget(name: "JupyterProtocolTests", dependencies: ["JupyterProtocol", "TestSupport"]),
        .testTarget(name: "JupyterKernelTests", dependencies: ["JupyterKernel", "TestSupport"]),
        .testTarget(name: "SwiftCellsTests", dependencies: ["SwiftCells", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "LSTMKitTests", dependencies: ["LSTMKit", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NotebookDisplayTests", dependencies: ["NotebookDisplay", "LSTMKit", "TestSupport"],
                    resources: [.copy("Golden")]),
    ],
    swiftLanguageModes: [.v5]
)
