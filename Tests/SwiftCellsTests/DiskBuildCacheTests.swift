@testable import SwiftCells
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The disk cell cache checks every library against the SHA-256 recorded with it, deletes an entry that
/// does not match, and keeps everything it writes private whatever the umask.
final class DiskBuildCacheTests: XCTestCase {
    private var root = ""

    override func setUp() {
        root = NSTemporaryDirectory() + "disk-cache-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        XCTAssertTrue(PrivateFiles.makeDirectory(root))
    }

    override func tearDown() { Subprocess.removeTree(root) }

    private func write(_ text: String, _ path: String) {
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
    }

    private func mode(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0, path)
        return info.st_mode & 0o7777
    }

    /// A cache holding one entry for module 2, built from `work`.
    private func savedEntry() -> (DiskBuildCache, work: String) {
        let work = root + "/work"
        XCTAssertTrue(PrivateFiles.makeDirectory(work))
        write(String(repeating: "library bytes ", count: 1000), work + "/libCell2.so")
        write("module", work + "/Cell2.swiftmodule")
        write("doc comments", work + "/Cell2.swiftdoc")
        let cache = DiskBuildCache(directory: root + "/cache/cells")!
        cache.save(key: "k", module: 2, from: work)
        return (cache, work)
    }

    func testAnIntactEntryIsFetchedAndEverythingIsPrivateUnderAnOpenUmask() {
        let old = umask(0)
        defer { umask(old) }
        let (cache, _) = savedEntry()
        let session = root + "/session"
        XCTAssertTrue(PrivateFiles.makeDirectory(session))
        XCTAssertTrue(cache.fetch(key: "k", module: 2, into: session))
        XCTAssertEqual(try String(contentsOfFile: session + "/Cell2.swiftmodule", encoding: .utf8), "module")
        XCTAssertEqual(try String(contentsOfFile: session + "/Cell2.swiftdoc", encoding: .utf8), "doc comments",
                       "doc comments come back with the cell, so inspect still shows them")
        for folder in [root + "/cache", cache.directory, cache.directory + "/k"] { XCTAssertEqual(mode(folder), 0o700, folder) }
        for file in ["/k/libCell2.so", "/k/Cell2.swiftmodule", "/k/Cell2.swiftdoc", "/k/SHA256SUMS"] {
            XCTAssertEqual(mode(cache.directory + file), 0o600, file)
        }
        XCTAssertEqual(mode(session + "/libCell2.so"), 0o600)
    }

    func testExistingFoldersAboveTheCacheKeepTheirPermissions() {
        let shared = root + "/shared"
        XCTAssertEqual(mkdir(shared, 0o755), 0)
        XCTAssertEqual(chmod(shared, 0o1777), 0)                    // like /tmp: sticky, open to all
        XCTAssertNotNil(DiskBuildCache(directory: shared + "/mine/cells"))
        XCTAssertEqual(mode(shared), 0o1777, "a folder the kernel did not create is not its to change")
        XCTAssertEqual(mode(shared + "/mine"), 0o700)
        XCTAssertEqual(mode(shared + "/mine/cells"), 0o700)
    }

    func testACacheFolderOthersCanWriteIsNotUsed() {
        let open = root + "/open"
        XCTAssertEqual(mkdir(open, 0o700), 0)
        XCTAssertEqual(chmod(open, 0o777), 0)
        XCTAssertNil(DiskBuildCache(directory: open), "whoever can write there could plant a library and its checksum")
        XCTAssertEqual(symlink(root, root + "/link"), 0)
        XCTAssertNil(DiskBuildCache(directory: root + "/link"))
        XCTAssertEqual(mode(open), 0o777, "and it is left as it was")
    }

    func testATruncatedLibraryIsNotFetchedAndItsEntryIsDeleted() throws {
        let (cache, _) = savedEntry()
        let library = cache.directory + "/k/libCell2.so"
        XCTAssertEqual(truncate(library, 100), 0)
        let session = root + "/session"
        XCTAssertTrue(PrivateFiles.makeDirectory(session))
        XCTAssertFalse(cache.fetch(key: "k", module: 2, into: session))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.directory + "/k"), "the entry is deleted")
        XCTAssertFalse(FileManager.default.fileExists(atPath: session + "/libCell2.so"), "nothing is left to load")
    }

    func testAReplacedLibraryOfTheSameSizeIsNotFetched() throws {
        let (cache, _) = savedEntry()
        write(String(repeating: "planted bytes ", count: 1000), cache.directory + "/k/libCell2.so")
        XCTAssertFalse(cache.fetch(key: "k", module: 2, into: root))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.directory + "/k"))
    }

    func testAnEntryWithoutChecksumsIsNotTrusted() {
        let (cache, _) = savedEntry()
        unlink(cache.directory + "/k/SHA256SUMS")
        XCTAssertFalse(cache.fetch(key: "k", module: 2, into: root))
    }
}
