import Foundation
import XCTest
@testable import LSTMKit

/// The OpenBLAS kernel-set check of OpenBLASCore.c runs once, when the library loads (before any thread
/// of the process's own could read the environment it changes), and leaves no OPENBLAS_CORETYPE behind.
/// The replacement path and the user's override are checked in fresh processes (this test binary run
/// again for `testReportCoreInChildProcess`), since the check happens only at load.
final class OpenBLASCoreTests: XCTestCase {
    static let reportKey = "LSTMKIT_TEST_CORE_REPORT"

    /// Written only when a parent test runs this binary again with `reportKey` naming a file.
    func testReportCoreInChildProcess() throws {
        guard let path = ProcessInfo.processInfo.environment[Self.reportKey] else {
            throw XCTSkip("runs only as the child process of the other OpenBLASCoreTests")
        }
        // glibc moves the environment array when a variable is added: if the first use of BLAS set
        // OPENBLAS_CORETYPE (as the lazy check before did, with other threads possibly running), the
        // array this process started main() with is gone.
        let array = environ
        let core = LSTMKit.blasCore
        var c = [Float](repeating: 0, count: 4)
        BLAS.gemm(m: 2, n: 2, k: 2, a: [1, 2, 3, 4], lda: 2, b: [1, 0, 0, 1], ldb: 2, beta: 0, c: &c, ldc: 2)
        let untouched = environ == array && c == [1, 2, 3, 4]
        let env = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) } ?? "<unset>"
        try "\(core)\n\(env)\n\(untouched ? "untouched" : "changed")\n".write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Runs this test binary again for `testReportCoreInChildProcess` with `environment` added; returns
    /// what the child saw: LSTMKit.blasCore, OPENBLAS_CORETYPE, and whether its first product left the
    /// environment array in place.
    func childReport(_ environment: [String: String]) throws -> (core: String, variable: String, untouched: Bool) {
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("lstmkit-core-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: report) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = ["LSTMKitTests.OpenBLASCoreTests/testReportCoreInChildProcess"]
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_CORETYPE"] = nil
        env["LSTMKIT_TEST_OPENBLAS_FALLBACK"] = nil
        env.merge(environment) { _, new in new }
        env[Self.reportKey] = report.path
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "child test process")
        let lines = try String(contentsOf: report, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3)
        return (lines.first ?? "", lines.dropFirst().first ?? "", lines.last == "untouched")
    }

    func cpuFlags() throws -> Set<String> {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo flags on this machine")
        }
        return Set(line.split(separator: " ").map(String.init))
    }

    /// On a CPU with AVX2 (this machine: AMD EPYC Zen 4, AVX-512, where OpenBLAS 0.3.21 picks
    /// Cooperlake itself) the kernel set in use is not a fallback one (nor "not checked"), and
    /// OPENBLAS_CORETYPE is not left set, in this process and in a fresh one.
    func testCoreIsNotAFallbackAndTheVariableIsNotLeftSet() throws {
        let flags = try cpuFlags()
        guard flags.contains("avx2"), flags.contains("fma"), ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else {
            throw XCTSkip("CPU without AVX2/FMA, or OPENBLAS_CORETYPE set by the user")
        }
        let core = LSTMKit.blasCore
        let name = core.split(separator: " ").first.map { String($0).lowercased() } ?? ""
        XCTAssertFalse(["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "unknown", "not"].contains(name), core)
        XCTAssertNil(getenv("OPENBLAS_CORETYPE"), "LSTMKit must not leave OPENBLAS_CORETYPE set")
        let child = try childReport([:])
        XCTAssertEqual(child.core, core, "a fresh process reports the same kernel set")
        XCTAssertEqual(child.variable, "<unset>")
    }

    /// The replacement path, taken in a fresh process by treating OpenBLAS's own choice as a fallback:
    /// the best set for the CPU is installed, the note says what OpenBLAS had chosen, and the variable the
    /// switch goes through is gone again.
    func testFallbackIsReplacedAtLoadAndTheVariableRemoved() throws {
        let flags = try cpuFlags()
        guard flags.contains("avx2"), flags.contains("fma") else { throw XCTSkip("CPU without AVX2/FMA") }
        let best = ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) ? "SkylakeX" : "Haswell"
        let child = try childReport(["LSTMKIT_TEST_OPENBLAS_FALLBACK": "1"])
        XCTAssertTrue(child.core.hasPrefix("\(best) (OpenBLAS chose "), child.core)
        XCTAssertTrue(child.core.hasSuffix(" for this CPU)"), child.core)
        XCTAssertEqual(child.variable, "<unset>", "the switch's variable is removed again")
        XCTAssertTrue(child.untouched, "the switch happened at load, not at the first product")
    }

    /// The user's own OPENBLAS_CORETYPE wins, even where LSTMKit would replace the choice, and stays set.
    func testUsersOpenBLASCoreTypeWins() throws {
        let flags = try cpuFlags()
        guard flags.contains("avx2"), flags.contains("fma") else { throw XCTSkip("CPU without AVX2/FMA") }
        let child = try childReport(["OPENBLAS_CORETYPE": "Haswell", "LSTMKIT_TEST_OPENBLAS_FALLBACK": "1"])
        XCTAssertEqual(child.core, "Haswell (OPENBLAS_CORETYPE)")
        XCTAssertEqual(child.variable, "Haswell")
    }
}
