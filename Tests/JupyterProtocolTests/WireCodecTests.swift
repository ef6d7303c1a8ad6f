import Foundation
import XCTest
@testable import JupyterProtocol

/// The `<IDS|MSG>` framing: round trips, signatures, and every way a received message is rejected.
final class WireCodecTests: XCTestCase {
    let codec = WireCodec(key: "a0436f6c-1916-498b-8eb9-e81ab9368e84")

    func sampleMessage() -> Message {
        let header = Header(msgID: "7c4d1f0e-5b1a-4b8e-9d3c-2f6a8e0b1c2d", session: "s1", username: "u",
                            date: "2026-11-24T01:18:30.123456Z", msgType: "execute_request", version: "5.4",
                            extra: ["subshell_id": .null])
        return Message(identities: [Data([0, 1, 2, 3]), Data("client".utf8)], header: header,
                       parentHeader: .object([:]), metadata: ["trusted": true],
                       content: ["code": "print(\"héllo\")\n", "silent": false, "n": 3, "x": 0.5, "list": [1, "two", nil]],
                       buffers: [Data([0xff, 0x00, 0x10]), Data()])
    }

    func testRoundTripKeepsEveryPart() throws {
        let message = sampleMessage()
        let frames = try codec.encode(message)
        XCTAssertEqual(frames[2], WireCodec.delimiter)
        XCTAssertEqual(frames.count, 2 + 1 + 5 + 2)
        XCTAssertEqual(try codec.decode(frames), message)
    }

    func testSignatureIsTheHMACOfTheFourJSONFrames() throws {
        let frames = try codec.encode(sampleMessage())
        let signer = MessageSigner(key: "a0436f6c-1916-498b-8eb9-e81ab9368e84")
        XCTAssertEqual(String(decoding: frames[3], as: UTF8.self), signer.signature(of: frames[4...7]))
        XCTAssertEqual(frames[3].count, 64)
    }

    func testIntegersStayIntegersOnTheWire() throws {
        let frames = try codec.encode(sampleMessage())
        let content = String(decoding: frames[7], as: UTF8.self)
        XCTAssertTrue(content.contains(#""n":3"#), content)
        XCTAssertTrue(content.contains(#""x":0.5"#), content)
    }

    func testTamperedContentIsRejected() throws {
        var frames = try codec.encode(sampleMessage())
        frames[7] = Data(#"{"code":"rm -rf /"}"#.utf8)
        XCTAssertThrowsError(try codec.decode(frames)) { XCTAssertEqual($0 as? WireError, .badSignature) }
    }

    func testMessageSignedWithAnotherKeyIsRejected() throws {
        let frames = try WireCodec(key: "forged").encode(sampleMessage())
        XCTAssertThrowsError(try codec.decode(frames)) { XCTAssertEqual($0 as? WireError, .badSignature) }
    }

    func testMissingDelimiterAndTooFewFrames() throws {
        XCTAssertThrowsError(try codec.decode([Data("a".utf8), Data("b".utf8)])) {
            XCTAssertEqual($0 as? WireError, .missingDelimiter)
        }
        XCTAssertThrowsError(try codec.decode([WireCodec.delimiter, Data(), Data("{}".utf8)])) {
            XCTAssertEqual($0 as? WireError, .tooFewFrames(2))
        }
    }

    func testBadJSONAndBadHeaderAreRejectedAfterTheSignatureCheck() throws {
        func signed(_ parts: [String]) -> [Data] {
            let data = parts.map { Data($0.utf8) }
            return [WireCodec.delimiter, Data(codec.signer.signature(of: data).utf8)] + data
        }
        XCTAssertThrowsError(try codec.decode(signed(["{nope", "{}", "{}", "{}"]))) {
            XCTAssertEqual($0 as? WireError, .invalidJSON(frame: "header"))
        }
        XCTAssertThrowsError(try codec.decode(signed([#"{"msg_id":"1","msg_type":"x"}"#, "{}", "{}", "[]"]))) {
            // The header was readable, so the error keeps it for an error reply.
            XCTAssertEqual(($0 as? UnreadableMessage)?.reason, "the content frame is not a JSON object")
            XCTAssertEqual(($0 as? UnreadableMessage)?.header.msgID, "1")
        }
        XCTAssertThrowsError(try codec.decode(signed([#"{"msg_type":"x"}"#, "{}", "{}", "{}"]))) {
            XCTAssertEqual($0 as? WireError, .invalidHeader("missing \"msg_id\""))
        }
    }

    func testUnsignedMessagesWorkWithAnEmptyKey() throws {
        let plain = WireCodec(key: "")
        let frames = try plain.encode(sampleMessage())
        XCTAssertEqual(frames[3], Data())
        XCTAssertEqual(try plain.decode(frames), sampleMessage())
    }
}
