import Foundation
import XCTest
@testable import JupyterProtocol

/// Headers as clients validate them: uuid ids, ISO-8601 dates with microseconds and a zone, version ≥ 5.3.
final class HeaderTests: XCTestCase {
    func testTimestampHasMicrosecondsAndUTCZone() {
        XCTAssertEqual(Timestamp.iso8601(Date(timeIntervalSince1970: 1_700_000_000.123456)), "2023-11-14T22:13:20.123456Z")
        XCTAssertEqual(Timestamp.iso8601(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000000Z")
        // Rounding up to a whole second carries into the seconds field instead of printing 1000000.
        XCTAssertEqual(Timestamp.iso8601(Date(timeIntervalSince1970: 59.9999999)), "1970-01-01T00:01:00.000000Z")
        let now = Timestamp.iso8601()
        XCTAssertNotNil(now.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"#, options: .regularExpression), now)
    }

    func testNewHeaderHasUUIDAndVersionAtLeast5_3() {
        let header = Header(session: "s", username: "u", msgType: "status")
        XCTAssertNotNil(UUID(uuidString: header.msgID))
        XCTAssertNotEqual(header.msgID, Header(session: "s", username: "u", msgType: "status").msgID)
        let parts = header.version.split(separator: ".").compactMap { Int($0) }
        XCTAssertTrue(parts.lexicographicallyPrecedes([5, 3]) == false, header.version)
    }

    func testJSONRoundTripKeepsUnknownKeys() throws {
        let json: JSONValue = ["msg_id": "1", "msg_type": "execute_request", "session": "s", "username": "u",
                               "date": "2026-01-01T00:00:00.000000+00:00", "version": "5.3", "subshell_id": "abc"]
        let header = try Header(json: json)
        XCTAssertEqual(header.extra, ["subshell_id": "abc"])
        XCTAssertEqual(header.json, json)
    }

    func testMissingOrMistypedFieldsAreNamed() {
        XCTAssertThrowsError(try Header(json: ["msg_id": "1"])) {
            XCTAssertEqual($0 as? WireError, .invalidHeader("missing \"msg_type\""))
        }
        XCTAssertThrowsError(try Header(json: ["msg_id": 5, "msg_type": "x"])) {
            XCTAssertEqual($0 as? WireError, .invalidHeader("\"msg_id\" must be a string, given a number (5)"))
        }
    }
}
