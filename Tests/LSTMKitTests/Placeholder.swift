import XCTest
final class LSTMKitTestsPlaceholder: XCTestCase { func testBuilds() {} }
