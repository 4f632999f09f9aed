import Foundation
import Support
import XCTest

/// The bounds-checked cursor every binary weight reader parses with.
final class ByteReaderTests: XCTestCase {
    func testReadsLittleEndianFromASlice() throws {
        let data = Data([0xEE, 0x01, 0x02, 0x03, 0x04, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x61, 0x62])
        var r = ByteReader(data.dropFirst())  // offsets count from the slice's first byte
        XCTAssertEqual(try r.u16("a"), 0x0201)
        XCTAssertEqual(try r.u8("b"), 3)
        XCTAssertEqual(try r.u8("c"), 4)
        XCTAssertEqual(try r.i64("d"), -2)
        XCTAssertEqual(r.offset, 12)
        XCTAssertEqual(String(decoding: try r.bytes(2, "e"), as: UTF8.self), "ab")
        XCTAssertEqual(r.remaining, 0)
        try r.seek(to: 1, "f")
        XCTAssertEqual(try r.u32("g"), 0xFE04_0302)
    }

    func testFailuresSayWhatAndWhere() {
        var r = ByteReader([UInt8](repeating: 0, count: 10))
        XCTAssertEqual(try r.u64("the count"), 0)
        XCTAssertThrowsError(try r.u32("the magic")) {
            XCTAssertEqual("\($0)", "truncated at offset 8: the magic needs 4 bytes, only 2 left")
        }
        XCTAssertThrowsError(try r.bytes(-1, "the name"))
        XCTAssertThrowsError(try r.seek(to: 11, "the directory")) { XCTAssertTrue("\($0)".contains("the directory")) }
        var counts = ByteReader(Data([3, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]))
        XCTAssertThrowsError(try counts.count("the array count", minBytesEach: 2)) {
            XCTAssertEqual("\($0)", "truncated at offset 0: the array count is 3, more than the 5 bytes left can hold")
        }
        var fits = ByteReader(Data([2, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]))
        XCTAssertEqual(try fits.count("the array count", minBytesEach: 2), 2)
    }
}
