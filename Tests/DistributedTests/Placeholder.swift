import XCTest
final class PlaceholderDistributedTests: XCTestCase { func testNothing() {} }
