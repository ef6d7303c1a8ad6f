import Foundation
import XCTest
@testable import JupyterProtocol

/// HMAC-SHA256 against RFC 4231's test vectors, and the constant-time check of hex signatures.
final class MessageSignerTests: XCTestCase {
    /// RFC 4231 §4.2–4.8 (case 5, a truncated MAC, does not apply to Jupyter).
    static let vectors: [(key: Data, data: Data, mac: String)] = [
        (Data(repeating: 0x0b, count: 20), Data("Hi There".utf8),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Data("Jefe".utf8), Data("what do ya want for nothing?".utf8),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (Data(repeating: 0xaa, count: 20), Data(repeating: 0xdd, count: 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        (Data(1...25), Data(repeating: 0xcd, count: 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        (Data(repeating: 0xaa, count: 131), Data("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        (Data(repeating: 0xaa, count: 131),
         Data(("This is a test using a larger than block-size key and a larger than block-size data. The key needs "
               + "to be hashed before being used by the HMAC algorithm.").utf8),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    func testRFC4231Vectors() {
        for (index, vector) in Self.vectors.enumerated() {
            let signer = MessageSigner(keyData: vector.key)
            XCTAssertEqual(signer.signature(of: [vector.data]), vector.mac, "RFC 4231 vector \(index + 1)")
            XCTAssertTrue(signer.isValid(signature: Data(vector.mac.utf8), of: [vector.data]))
        }
    }

    func testSignatureCoversTheConcatenatedFramesInOrder() {
        let signer = MessageSigner(key: "secret")
        let frames = [#"{"a":1}"#, "{}", "{}", #"{"b":2}"#].map { Data($0.utf8) }
        // Python: hmac.new(b"secret", b'{"a":1}{}{}{"b":2}', hashlib.sha256).hexdigest()
        XCTAssertEqual(signer.signature(of: frames), "9b14d94617bffb278285cea390d9dc17e01ec3188dba313f9548021906557a7b")
        XCTAssertEqual(signer.signature(of: frames), signer.signature(of: [Data(#"{"a":1}{}{}{"b":2}"#.utf8)]))
        XCTAssertNotEqual(signer.signature(of: frames), signer.signature(of: frames.reversed()))
    }

    func testVerificationRejectsAlteredWrongLengthAndNonHexSignatures() {
        let vector = Self.vectors[1]
        let signer = MessageSigner(keyData: vector.key)
        var altered = Array(vector.mac.utf8)
        altered[altered.count - 1] = altered.last == UInt8(ascii: "3") ? UInt8(ascii: "4") : UInt8(ascii: "3")
        XCTAssertFalse(signer.isValid(signature: Data(altered), of: [vector.data]))
        XCTAssertFalse(signer.isValid(signature: Data(vector.mac.dropLast(2).utf8), of: [vector.data]))
        XCTAssertFalse(signer.isValid(signature: Data(("zz" + vector.mac.dropFirst(2)).utf8), of: [vector.data]))
        XCTAssertFalse(signer.isValid(signature: Data(), of: [vector.data]))
        XCTAssertTrue(signer.isValid(signature: Data(vector.mac.uppercased().utf8), of: [vector.data]))
        XCTAssertFalse(signer.isValid(signature: Data(vector.mac.utf8), of: [Data("other data".utf8)]))
    }

    func testEmptyKeyDisablesSigning() {
        let signer = MessageSigner(key: "")
        XCTAssertFalse(signer.isEnabled)
        XCTAssertEqual(signer.signature(of: [Data("x".utf8)]), "")
        XCTAssertTrue(signer.isValid(signature: Data(), of: [Data("x".utf8)]))
    }
}
