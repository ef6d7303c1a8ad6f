import XCTest
final class NotebookDisplayTestsPlaceholder: XCTestCase { func testBuilds() {} }
