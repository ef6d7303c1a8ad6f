import XCTest
final class SwiftCellsTestsPlaceholder: XCTestCase { func testBuilds() {} }
