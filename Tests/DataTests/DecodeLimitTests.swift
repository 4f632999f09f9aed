import Data
import Foundation
import Glibc
import XCTest

/// Image headers that claim huge sizes (over Pillow's 89 478 485 pixels) are refused before decoding (a
/// "decompression bomb" would otherwise allocate gigabytes and end the run),
/// and a fifo where an image should be is refused without blocking.
final class DecodeLimitTests: XCTestCase {
    let dir = NSTemporaryDirectory() + "eps-dist-decode-\(getpid())"
    override func setUp() { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }

    /// CRC-32 (PNG's chunk checksum).
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8((v >> UInt32($0)) & 0xFF) } }

    func testPNGClaimingAHugeSizeIsRefused() throws {
        // A valid signature and IHDR for 100000 × 100000 grey pixels, then a tiny IDAT.
        let ihdr: [UInt8] = Array("IHDR".utf8) + Self.bigEndian(100_000) + Self.bigEndian(100_000) + [8, 0, 0, 0, 0]
        let idat: [UInt8] = Array("IDAT".utf8) + [0x78, 0x9C]
        let bytes: [UInt8] =
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Self.bigEndian(13) + ihdr
            + Self.bigEndian(Self.crc32(ihdr)) + Self.bigEndian(2) + idat + Self.bigEndian(Self.crc32(idat))
        let path = "\(dir)/bomb.png"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ImageCodecs.readPNG(path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("100000 x 100000"), "\(error)")
        }
    }

    func testJPEGClaimingAHugeSizeIsRefused() throws {
        let small = "\(dir)/small.jpg"
        try ImageCodecs.writeJPEG(Image8(width: 16, height: 16, channels: 3, fill: 128), to: small)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: small)))
        // SOF0 (FF C0): length(2) precision(1) height(2) width(2).
        let sof = try XCTUnwrap((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes[sof + 5] = 0xEA
        bytes[sof + 6] = 0x60  // height 60000
        bytes[sof + 7] = 0xEA
        bytes[sof + 8] = 0x60  // width 60000
        let path = "\(dir)/bomb.jpg"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try ImageCodecs.jpegSize(path).width, 60000)
        XCTAssertThrowsError(try ImageCodecs.readJPEG(path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("60000 x 60000"), "\(error)")
        }
    }

    func testFifoIsRefusedWithoutBlocking() throws {
        let path = "\(dir)/fifo.png"
        unlink(path)
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        XCTAssertThrowsError(try ImageCodecs.readPNG(path)) { error in
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
        XCTAssertThrowsError(try ImageCodecs.readJPEG(path))
    }
}
