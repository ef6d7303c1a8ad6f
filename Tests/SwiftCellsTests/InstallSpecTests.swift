@testable import SwiftCells
import XCTest

/// `%install` arguments: what a user types must become the right dependency, or an error that points at
/// the column; a failed build must be explained by the line that matters.
final class InstallSpecTests: XCTestCase {
    private func parse(_ argument: String, column: Int = 10) throws -> InstallRequest {
        try InstallRequest.parse(argument, column: column, directory: "/home/me/notebooks")
    }

    private func message(_ argument: String, column: Int = 10) -> String? {
        do {
            _ = try InstallRequest.parse(argument, column: column, directory: "/nb")
            return nil
        } catch .install(let text, _) {
            return text
        } catch {
            return "\(error)"
        }
    }

    func testURLSpecKeepsItsTextAndNamesTheProducts() throws {
        let request = try parse(#".package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0") DequeModule  OrderedCollections"#)
        XCTAssertEqual(request.spec, #".package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0")"#)
        XCTAssertEqual(request.identity, "swift-collections")
        XCTAssertEqual(request.products, ["DequeModule", "OrderedCollections"])
        XCTAssertNil(request.localPath)
    }

    func testIdentityIsLowerCaseAndTheNameAsWritten() throws {
        let request = try parse(#".package(url: "https://github.com/swiftcsv/SwiftCSV", exact: "0.10.0") SwiftCSV"#)
        XCTAssertEqual(request.identity, "swiftcsv")
        XCTAssertEqual(request.name, "SwiftCSV")
    }

    func testRelativePathIsTakenFromTheNotebookFolder() throws {
        let request = try parse(#".package(path: "../libs/./mylib/") MyLib"#)
        XCTAssertEqual(request.localPath, "/home/me/libs/mylib")
        XCTAssertEqual(request.spec, #".package(path: "/home/me/libs/mylib")"#)
        let quoted = try parse(#".package(path: "my \"lib\"") MyLib"#)
        XCTAssertEqual(quoted.spec, #".package(path: "/home/me/notebooks/my \"lib\"")"#)
        XCTAssertEqual(request.identity, "mylib")
    }

    func testASpecThatDoesNotParseNamesTheColumn() {
        // `%install ` is 9 characters: the argument starts at column 10; `)` after `from: ` is at 35.
        let text = message(#".package(url: "x", from: ) X"#)
        XCTAssertTrue(text?.contains("column 35") == true, text ?? "no error")
        let unclosed = message(#".package(url: "x", from: "1.0.0" X"#)
        XCTAssertTrue(unclosed?.contains("does not parse") == true, unclosed ?? "no error")
    }

    func testWhatIsNotAPackageCallIsRefused() {
        XCTAssertTrue(message(#"package(url: "x", from: "1.0.0") X"#)?.contains(".package(") == true)
        XCTAssertTrue(message(#".package(name: "x") X"#)?.contains("neither `url:` nor `path:`") == true)
        XCTAssertTrue(message(#".package(url: someVariable, from: "1.0.0") X"#)?.contains("string literal") == true)
        XCTAssertTrue(message(#".package(path: "lib")"#)?.contains("name the products") == true)
        XCTAssertTrue(message("")?.contains("usage") == true)
        // Product names become string literals in the generated manifest.
        XCTAssertTrue(message(#".package(path: "lib") Good Bad")"#)?.contains("not a product name") == true)
    }

    func testDiagnoseFindsTheLineThatMatters() throws {
        let toolchain = Toolchain(swiftc: "/opt/swift/usr/bin/swiftc", version: "Swift 6", libraryDirectory: "",
                                  moduleSearchPaths: [], clangModuleMaps: [], implicitModules: [],
                                  hasCellResultFunction: false)
        let installer = try XCTUnwrap(PackageInstaller(toolchain: toolchain, directory: "/tmp/none"))
        let compile = installer.diagnose("""
            Building for production...
            /nb/broken/Sources/Broken/Broken.swift:2:12: error: cannot convert return expression of type 'String' to return type 'Int'
            /nb/broken/Sources/Broken/Broken.swift:5:1: error: second
            """, requests: [], folder: "/c/k", scratch: "/c/s")
        XCTAssertEqual(compile, "the package did not compile: /nb/broken/Sources/Broken/Broken.swift:2: error: "
                       + "cannot convert return expression of type 'String' to return type 'Int'")
        let clone = installer.diagnose("""
            Fetching https://github.com/nobody/none
            error: Failed to clone repository https://github.com/nobody/none:
                Cloning into bare repository '/c/s/repositories/none-1'...
                fatal: '/opt/swift-packages/nobody/none' does not appear to be a git repository
            error: ExitCode(rawValue: 1)
            """, requests: [], folder: "/c/k", scratch: "/c/s")
        XCTAssertEqual(clone, "swift build failed: Failed to clone repository https://github.com/nobody/none: "
                       + "fatal: '/opt/swift-packages/nobody/none' does not appear to be a git repository")
        let manifest = installer.diagnose(
            "/c/k/Package.swift:9:9: error: extra argument 'frm' in call", requests: [], folder: "/c/k", scratch: "/c/s")
        XCTAssertEqual(manifest, "the package spec is not a valid SwiftPM dependency: extra argument 'frm' in call")
    }

    func testKeyChangesWithFlagsProductsAndToolchain() throws {
        let toolchain = Toolchain(swiftc: "/x/swiftc", version: "Swift 6", libraryDirectory: "", moduleSearchPaths: [],
                                  clangModuleMaps: [], implicitModules: [], hasCellResultFunction: false)
        var other = toolchain
        other.version = "Swift 7"
        let a = try XCTUnwrap(PackageInstaller(toolchain: toolchain, directory: "/tmp/none"))
        let b = try XCTUnwrap(PackageInstaller(toolchain: other, directory: "/tmp/none"))
        let request = try parse(#".package(url: "https://github.com/apple/swift-numerics", from: "1.0.0") Numerics"#)
        var more = request
        more.products.append("RealModule")
        let base = a.key(requests: [request], flags: [])
        XCTAssertEqual(base, a.key(requests: [request], flags: []))
        XCTAssertNotEqual(base, a.key(requests: [request], flags: ["-Xswiftc", "-DX"]))
        XCTAssertNotEqual(base, a.key(requests: [more], flags: []))
        XCTAssertNotEqual(base, b.key(requests: [request], flags: []))
    }
}
