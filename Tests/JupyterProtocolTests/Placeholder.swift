import XCTest
final class JupyterProtocolTestsPlaceholder: XCTestCase { func testBuilds() {} }
