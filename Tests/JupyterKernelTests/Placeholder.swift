import XCTest
final class JupyterKernelTestsPlaceholder: XCTestCase { func testBuilds() {} }
