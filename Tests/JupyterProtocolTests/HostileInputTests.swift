import Foundation
import XCTest
@testable import JupyterProtocol

/// What a hostile client can put in a correctly signed message: numbers no Int holds, lone surrogate
/// escapes, unreadable bodies, replays. None of it may trap.
final class HostileInputTests: XCTestCase {
    func testIntValueIsCheckedAgainstIntsRange() throws {
        for text in ["1e300", "-1e300", "1e19", "-9.3e18", "0.5"] {
            XCTAssertNil(try JSONValue.decode(Data(text.utf8)).intValue, text)
        }
        XCTAssertEqual(try JSONValue.decode(Data("-9000000000000000000".utf8)).intValue, -9_000_000_000_000_000_000)
        XCTAssertEqual(JSONValue.number(42).intValue, 42)
        XCTAssertNil(JSONValue.number(.nan).intValue)
        XCTAssertNil(JSONValue.number(.infinity).intValue)
    }

    func testKindsAreKeptAndNestingIsBounded() throws {
        let value = try JSONValue.decode(Data(#"[true, false, 1, 0, 1.5, -1e300, "1", null, {"a": [true]}]"#.utf8))
        XCTAssertEqual(value, [true, false, 1, 0, 1.5, -1e300, "1", nil, ["a": [true]]])
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        XCTAssertNoThrow(try JSONValue.decode(Data(fine.utf8)))
        for depth in [600, 200_000] {
            let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            XCTAssertThrowsError(try JSONValue.decode(Data(deep.utf8)), "nesting \(depth) deep is refused, not a stack overflow")
        }
        XCTAssertThrowsError(try JSONValue.decode(Data([0x22, 0xFF, 0x22])), "invalid UTF-8")
    }

    func testLoneSurrogateEscapesBecomeTheReplacementCharacter() throws {
        let cases: [(String, String)] = [
            (#"{"s": "a\ud800b"}"#, "a\u{FFFD}b"),
            (#"{"s": "\udc00"}"#, "\u{FFFD}"),
            (#"{"s": "\ud83d\ude00 ok"}"#, "😀 ok"),                      // a proper pair is kept
            (#"{"s": "\ud800\ud800\udc00"}"#, "\u{FFFD}𐀀"),
            (#"{"s": "\\ud800"}"#, #"\ud800"#),                           // an escaped backslash, no escape
            (#"{"s": "end\ud800"}"#, "end\u{FFFD}"),
        ]
        for (json, expected) in cases {
            XCTAssertEqual(try JSONValue.decode(Data(json.utf8))["s"], .string(expected), json)
        }
        XCTAssertThrowsError(try JSONValue.decode(Data(#"{"s": "\ud800"#.utf8)), "still invalid JSON")
    }

    func testAnUnreadableBodyAfterAGoodHeaderKeepsWhatAReplyNeeds() throws {
        let codec = WireCodec(key: "k")
        let session = KernelSessionStub()
        var frames = try codec.encode(session.request())
        let split = try XCTUnwrap(frames.firstIndex(of: WireCodec.delimiter))
        frames[split + 5] = Data("{\"cursor_pos\": NaN}".utf8)
        frames[split + 1] = Data(codec.signer.signature(of: Array(frames[(split + 2)...(split + 5)])).utf8)
        XCTAssertThrowsError(try codec.decode(frames)) { error in
            let unreadable = error as? UnreadableMessage
            XCTAssertEqual(unreadable?.header.msgType, "complete_request")
            XCTAssertEqual(unreadable?.identities, [Data("client".utf8)])
            XCTAssertEqual(unreadable?.reason, "the content frame is not a JSON object")
        }
    }

    func testSignatureHistoryRemembersABoundedNumber() {
        let history = SignatureHistory(capacity: 3)
        let signatures = (0..<5).map { Data("sig\($0)".utf8) }
        XCTAssertTrue(history.recordFirstUse(of: signatures[0]))
        XCTAssertFalse(history.recordFirstUse(of: signatures[0]), "a repeat is a replay")
        for signature in signatures[1...] { XCTAssertTrue(history.recordFirstUse(of: signature)) }
        XCTAssertEqual(history.count, 3)
        XCTAssertTrue(history.recordFirstUse(of: signatures[0]), "the oldest was forgotten")
        XCTAssertFalse(history.recordFirstUse(of: signatures[4]))
        XCTAssertTrue(history.recordFirstUse(of: Data()), "unsigned messages (no key) are never replays")
        XCTAssertTrue(history.recordFirstUse(of: Data()))
    }
}

/// A client request built without the kernel module.
private struct KernelSessionStub {
    func request() -> Message {
        Message(identities: [Data("client".utf8)],
                header: Header(session: "client-session", username: "u", msgType: "complete_request"),
                parentHeader: .object([:]), metadata: [:], content: ["code": "pri", "cursor_pos": 3], buffers: [])
    }
}
