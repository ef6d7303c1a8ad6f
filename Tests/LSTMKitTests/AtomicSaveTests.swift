import Foundation
import XCTest
@testable import LSTMKit

/// `save(to:)` replaces the folder as a whole (the kill loop in tests/python/test_model_save_kill.py kills
/// it at random moments); these cover the cases around it: first save, replacing, paths it refuses, and
/// leftovers of killed saves.
final class AtomicSaveTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lstmkit-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func model(_ name: String, units: Int = 3) throws -> Model {
        try Sequential([LSTM(units: units, inputShape: [4, 2], name: "lstm_\(name)")], name: name)
    }

    func entries(_ url: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }

    func testFirstSaveAndReplacingLeaveOnlyTheNewModel() throws {
        let url = directory.appendingPathComponent("nested/model")
        let a = try model("a"), b = try model("b", units: 5)
        try a.save(to: url)
        XCTAssertEqual(try Model.load(from: url).getWeights(), a.getWeights())
        try b.save(to: url)
        let loaded = try Model.load(from: url)
        XCTAssertEqual(loaded.name, "b")
        XCTAssertEqual(loaded.getWeights(), b.getWeights())
        XCTAssertEqual(try entries(url), ["model.json", "model.safetensors"])
        XCTAssertEqual(try entries(directory.appendingPathComponent("nested")), ["model"], "no temporary folder left")
    }

    func testAFolderOpenedInJupyterLabIsReplacedKeepingItsHiddenEntriesAndItsMode() throws {
        let url = directory.appendingPathComponent("m")
        try model("a").save(to: url)
        let checkpoints = url.appendingPathComponent(".ipynb_checkpoints")
        try FileManager.default.createDirectory(at: checkpoints, withIntermediateDirectories: false)
        try Data("{}".utf8).write(to: checkpoints.appendingPathComponent("model-checkpoint.json"))
        XCTAssertEqual(chmod(url.path, 0o700), 0)
        let b = try model("b", units: 5)
        try b.save(to: url)
        XCTAssertEqual(try Model.load(from: url).getWeights(), b.getWeights())
        XCTAssertEqual(try entries(url), [".ipynb_checkpoints", "model.json", "model.safetensors"])
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o777, 0o700, "a folder the user made private stays private")
    }

    func testSavingOverAFileOrAFolderOfOtherFilesThrowsAndTouchesNothing() throws {
        let file = directory.appendingPathComponent("notes.txt")
        try Data("keep me".utf8).write(to: file)
        XCTAssertThrowsError(try model("a").save(to: file)) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message,
                           "\(file.path) is a file; expected a model folder written by save(to:), or no file at that path")
        }
        XCTAssertEqual(try Data(contentsOf: file), Data("keep me".utf8))
        let folder = directory.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: folder.appendingPathComponent("README"))
        XCTAssertThrowsError(try model("a").save(to: folder)) { error in
            XCTAssertEqual((error as? LSTMKitError)?.message,
                           "\(folder.path) holds files save(to:) did not write (README); expected only model.json and model.safetensors: choose an empty or new folder")
        }
        XCTAssertEqual(try entries(folder), ["README"])
        XCTAssertEqual(try entries(directory), ["notes.txt", "project"], "no temporary folder left")
    }

    func testLeftoversOfAKilledSaveAreIgnoredByLoadAndRemovedByTheNextSave() throws {
        let url = directory.appendingPathComponent("model")
        try model("a").save(to: url)
        // What a save killed mid-write leaves: a temporary sibling of a process that no longer runs.
        let deadPid = 4_194_305   // above Linux's largest pid_max
        let stale = directory.appendingPathComponent(".model.lstmkit-tmp-\(deadPid)-7")
        try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: true)
        try Data("{".utf8).write(to: stale.appendingPathComponent("model.json"))
        XCTAssertEqual(try Model.load(from: url).name, "a")
        try model("b").save(to: url)
        XCTAssertEqual(try entries(directory), ["model"])
        XCTAssertEqual(try Model.load(from: url).name, "b")
    }

    /// Without the atomic swap the old folder is moved aside before the new one is renamed in; a kill in
    /// between leaves no folder at the path, and load finds the old one beside it.
    func testLoadFindsTheOldFolderAWriterWithoutTheSwapMovedAside() throws {
        let url = directory.appendingPathComponent("model")
        try model("a").save(to: url)
        try FileManager.default.moveItem(at: url, to: directory.appendingPathComponent(".model.lstmkit-old-4194305-1"))
        XCTAssertEqual(try Model.load(from: url).name, "a")
        try model("b").save(to: url)
        XCTAssertEqual(try entries(directory), ["model"], "the moved-aside folder goes once the path holds a model again")
    }
}

extension AtomicSaveTests {
    /// A load while another thread saves two different models over the same path gets one of them whole,
    /// never the architecture of one with the weights of the other.
    func testLoadsDuringConcurrentSavesGetOneWholeModel() throws {
        let url = directory.appendingPathComponent("busy")
        let a = try model("a"), b = try model("b", units: 5)
        try a.save(to: url)
        let done = DispatchSemaphore(value: 0)
        let rounds = 300
        final class Failure: @unchecked Sendable { var error: Error? }
        let saveFailure = Failure()
        DispatchQueue.global().async {
            defer { done.signal() }
            do { for i in 0..<rounds { try (i % 2 == 0 ? b : a).save(to: url) } } catch { saveFailure.error = error }
        }
        var loads = 0, seen = Set<String>()
        while done.wait(timeout: .now()) == .timedOut {
            let loaded = try Model.load(from: url)
            XCTAssertEqual(loaded.getWeights(), (loaded.name == "a" ? a : b).getWeights(), "load \(loads)")
            seen.insert(loaded.name)
            loads += 1
        }
        XCTAssertNil(saveFailure.error)
        XCTAssertGreaterThan(loads, 10)
        XCTAssertEqual(seen, ["a", "b"])
    }
}
