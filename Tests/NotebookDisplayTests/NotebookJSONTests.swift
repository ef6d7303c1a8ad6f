import Foundation
import XCTest
import NotebookDisplay

final class NotebookJSONTests: XCTestCase {
    func testEncodingIsCompactSortedAndEscaped() {
        let value: NotebookJSON = ["b": [1, 2.5, true, nil], "a": "q\"\\\n\u{7}"]
        XCTAssertEqual(value.encoded, #"{"a":"q\"\\\n\u0007","b":[1,2.5,true,null]}"#)
    }

    func testNonFiniteNumbersBecomeNull() {
        XCTAssertEqual(NotebookJSON.array([.number(.nan), .number(.infinity)]).encoded, "[null,null]")
    }

    func testRoundTripThroughFoundation() throws {
        let text = #"{"loss":[0.5,0.25],"ok":true,"n":3,"name":"模型","none":null}"#
        let value = try NotebookJSON(parsing: text)
        XCTAssertEqual(value, ["loss": [0.5, 0.25], "ok": true, "n": 3, "name": "模型", "none": nil])
        XCTAssertEqual(try NotebookJSON(parsing: value.encoded), value)
    }

    func testInvalidJSONThrowsAClearError() {
        XCTAssertThrowsError(try NotebookJSON(parsing: "{oops")) { error in
            XCTAssertTrue(String(describing: error).contains("expected a JSON value"))
        }
    }

    func testPNGIsBase64InTheBundle() {
        let bundle = MIMEBundle(plainText: "img", png: Data([0x89, 0x50, 0x4E, 0x47]))
        XCTAssertEqual(bundle["image/png"], "iVBORw==")
    }
}
