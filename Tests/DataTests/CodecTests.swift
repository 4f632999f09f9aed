import Data
import Foundation
import XCTest

final class CodecTests: XCTestCase {
    let dir = NSTemporaryDirectory() + "eps-dist-codec-\(getpid())"

    override func setUp() { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }

    func testPalettePNGIndicesReadBackExactly() throws {
        let indices = (0..<(13 * 7)).map { UInt8([0, 1, 15, 20, 255][$0 % 5]) }
        let mask = Image8(width: 13, height: 7, channels: 1, pixels: indices)
        try ImageCodecs.writePNG(mask, to: "\(dir)/palette.png", palette: ImageCodecs.vocPalette)
        XCTAssertEqual(try ImageCodecs.readPNG("\(dir)/palette.png", indices: true), mask)
        // Read as colour, index 1 is VOC aeroplane red (128, 0, 0).
        let colour = try ImageCodecs.readPNG("\(dir)/palette.png")
        XCTAssertEqual(colour.channels, 3)
        XCTAssertEqual(Array(colour.pixels[3..<6]), [128, 0, 0])
    }

    func testGreyPNGRoundTrip() throws {
        let grey = Image8(width: 9, height: 4, channels: 1, pixels: (0..<36).map { UInt8($0 * 7) })
        try ImageCodecs.writePNG(grey, to: "\(dir)/grey.png")
        XCTAssertEqual(try ImageCodecs.readPNG("\(dir)/grey.png", indices: true), grey)
    }

    /// Class-index masks of other bit depths (made by PIL, Fixtures/mask_*): a
    /// 16-bit one was stripped to 8 bits (every index / 256: all background)
    /// and is refused; a 1-bit one was scaled to 0/255 (class 1 read as
    /// ignore) and now keeps its values. As a picture, 1-bit still scales.
    func testMasksOfOtherBitDepthsAreReadAsIndicesOrRefused() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let sixteen = fixtures.appendingPathComponent("mask_16bit_4x2.png").path
        XCTAssertThrowsError(try MaskFiles.read(sixteen)) { error in
            XCTAssertTrue("\(error)".contains(sixteen) && "\(error)".contains("16-bit"), "\(error)")
        }
        let oneBit = fixtures.appendingPathComponent("mask_1bit_4x2.png").path
        XCTAssertEqual(try MaskFiles.read(oneBit).pixels, [0, 1, 1, 0, 1, 0, 0, 1])
        XCTAssertEqual(try ImageCodecs.readPNG(oneBit).pixels, [0, 255, 255, 0, 255, 0, 0, 255])
    }

    func testJPEGRoundTripAndHeader() throws {
        let rgb = Image8(width: 32, height: 24, channels: 3, pixels: (0..<(32 * 24 * 3)).map { UInt8(($0 / 3) % 200) })
        try ImageCodecs.writeJPEG(rgb, to: "\(dir)/a.jpg", quality: 95)
        let back = try ImageCodecs.readJPEG("\(dir)/a.jpg")
        XCTAssertEqual([back.width, back.height], [32, 24])
        let size = try ImageCodecs.jpegSize("\(dir)/a.jpg")
        XCTAssertEqual([size.width, size.height], [32, 24])
    }

    func testCorruptFilesGiveErrorsNamingTheFile() throws {
        let rgb = Image8(width: 64, height: 64, channels: 3, fill: 90)
        try ImageCodecs.writeJPEG(rgb, to: "\(dir)/full.jpg")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/full.jpg"))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: "\(dir)/truncated.jpg"))
        try Data("this is not an image".utf8).write(to: URL(fileURLWithPath: "\(dir)/text.jpg"))
        try Data("no png here".utf8).write(to: URL(fileURLWithPath: "\(dir)/text.png"))
        for (path, read) in [
            ("\(dir)/truncated.jpg", { try ImageCodecs.readJPEG("\(self.dir)/truncated.jpg") }),
            ("\(dir)/text.jpg", { try ImageCodecs.readJPEG("\(self.dir)/text.jpg") }),
            ("\(dir)/missing.jpg", { try ImageCodecs.readJPEG("\(self.dir)/missing.jpg") }),
            ("\(dir)/text.png", { try ImageCodecs.readPNG("\(self.dir)/text.png") }),
        ] {
            XCTAssertThrowsError(try read()) { error in
                XCTAssertTrue("\(error)".contains(path), "message should name \(path): \(error)")
            }
        }
    }
}
