import Foundation
import XCTest
@testable import JupyterProtocol

/// Connection files as jupyter_client writes them, and one named error for each kind of mistake.
final class ConnectionInfoTests: XCTestCase {
    static let good: [String: JSONValue] = [
        "transport": "tcp", "ip": "127.0.0.1", "shell_port": 50001, "iopub_port": 50002, "stdin_port": 50003,
        "control_port": 50004, "hb_port": 50005, "key": "secret", "signature_scheme": "hmac-sha256",
        "kernel_name": "swift-lstm",
    ]

    func parse(_ object: [String: JSONValue]) throws -> ConnectionInfo {
        try ConnectionInfo.parse(try JSONValue.object(object).encoded(), path: "c.json")
    }

    func error(_ object: [String: JSONValue]) -> ConnectionFileError? {
        do {
            _ = try parse(object)
            return nil
        } catch {
            return error as? ConnectionFileError
        }
    }

    func testParsesATCPConnectionFile() throws {
        let info = try parse(Self.good)
        XCTAssertEqual(info.transport, .tcp)
        XCTAssertEqual(info.key, "secret")
        XCTAssertEqual(info.kernelName, "swift-lstm")
        XCTAssertEqual(info.endpoint(of: .shell), "tcp://127.0.0.1:50001")
        XCTAssertEqual(info.endpoint(of: .hb), "tcp://127.0.0.1:50005")
        XCTAssertEqual(KernelChannel.allCases.map { info.port(of: $0) }, [50001, 50002, 50003, 50004, 50005])
    }

    func testIPCEndpointsArePathPlusPort() throws {
        var object = Self.good
        object["transport"] = "ipc"
        object["ip"] = "/tmp/kernel-abc"
        let info = try parse(object)
        XCTAssertEqual(info.endpoint(of: .control), "ipc:///tmp/kernel-abc-50004")
    }

    func testOptionalFieldsHaveJupyterDefaults() throws {
        var object = Self.good
        object["transport"] = nil
        object["signature_scheme"] = nil
        object["kernel_name"] = nil
        let info = try parse(object)
        XCTAssertEqual(info.transport, .tcp)
        XCTAssertEqual(info.signatureScheme, "hmac-sha256")
        XCTAssertNil(info.kernelName)
    }

    func testEachMissingFieldIsNamed() {
        for field in ["ip", "shell_port", "iopub_port", "stdin_port", "control_port", "hb_port", "key"] {
            var object = Self.good
            object[field] = nil
            XCTAssertEqual(error(object), .missingField(path: "c.json", field: field))
        }
    }

    func testInvalidFieldsSayWhatWasExpectedAndGiven() {
        var object = Self.good
        object["hb_port"] = "5"
        XCTAssertEqual(error(object), .invalidField(path: "c.json", field: "hb_port", expected: "an integer port",
                                                    given: "a string (\"5\")"))
        object = Self.good
        object["shell_port"] = 70000
        XCTAssertEqual(error(object), .invalidField(path: "c.json", field: "shell_port", expected: "a port in 1...65535",
                                                    given: "70000"))
        object = Self.good
        object["signature_scheme"] = "hmac-md5"
        XCTAssertEqual(error(object)?.description,
                       "connection file c.json: field \"signature_scheme\" must be \"hmac-sha256\", given \"hmac-md5\"")
        object = Self.good
        object["transport"] = "udp"
        XCTAssertEqual(error(object)?.description,
                       "connection file c.json: field \"transport\" must be \"tcp\" or \"ipc\", given \"udp\"")
        object = Self.good
        object["key"] = 12
        XCTAssertEqual(error(object), .invalidField(path: "c.json", field: "key", expected: "a string",
                                                    given: "a number (12)"))
    }

    func testNotJSONAndUnreadableFiles() throws {
        XCTAssertThrowsError(try ConnectionInfo.parse(Data("{oops".utf8), path: "c.json")) {
            XCTAssertEqual($0 as? ConnectionFileError, .notJSON(path: "c.json", reason: "invalid JSON"))
        }
        XCTAssertThrowsError(try ConnectionInfo.parse(Data("[1]".utf8), path: "c.json")) {
            XCTAssertEqual(($0 as? ConnectionFileError)?.description,
                           "connection file c.json is not a JSON object: the top level is an array")
        }
        let missing = NSTemporaryDirectory() + "/no-such-\(UUID().uuidString).json"
        XCTAssertThrowsError(try ConnectionInfo.load(path: missing)) {
            XCTAssertEqual($0 as? ConnectionFileError, .unreadable(path: missing, reason: "no such file"))
        }
    }

    func testLoadsFromDisk() throws {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("conn-\(UUID().uuidString).json")
        try JSONValue.object(Self.good).encoded().write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(try ConnectionInfo.load(path: url.path).shellPort, 50001)
    }
}
