import Data
import Foundation
import Support
import XCTest

/// Bicubic resize and colour jitter against images made by Pillow
/// (scripts/make_pillow_fixtures.py). The bar is one grey level; the
/// fixed-point port usually matches exactly.
final class PillowCompatibilityTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        .path

    func fixture(_ name: String) throws -> Image8 { try ImageCodecs.readPNG("\(Self.fixtures)/\(name)") }

    func assertClose(_ a: Image8, _ b: Image8, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual([a.width, a.height, a.channels], [b.width, b.height, b.channels], what, file: file, line: line)
        guard a.pixels.count == b.pixels.count else { return }
        var worst = 0
        var exact = 0
        for i in 0..<a.pixels.count {
            let d = abs(Int(a.pixels[i]) - Int(b.pixels[i]))
            worst = max(worst, d)
            if d == 0 { exact += 1 }
        }
        XCTAssertLessThanOrEqual(worst, 1, "\(what): differs from Pillow by \(worst) levels", file: file, line: line)
        print("\(what): max difference \(worst), \(exact)/\(a.pixels.count) exact")
    }

    func testBicubicMatchesPillow() throws {
        let source = try fixture("source.png")
        let grey = try fixture("source_grey.png")
        for (w, h) in [(18, 14), (9, 7), (74, 58), (50, 21), (37, 60)] {
            let rgb = PillowResize.resize(source, width: w, height: h)
            assertClose(rgb, try fixture("bicubic_\(w)x\(h).png"), "RGB \(w)×\(h)")
            assertClose(
                PillowResize.resize(grey, width: w, height: h), try fixture("bicubic_grey_\(w)x\(h).png"),
                "grey \(w)×\(h)")
        }
    }

    func testColorJitterOperationsMatchPillow() throws {
        let source = try fixture("source.png")
        assertClose(
            ColorJitter.adjustBrightness(source, 1.27), try fixture("jitter_brightness_1.27.png"), "brightness 1.27")
        assertClose(
            ColorJitter.adjustBrightness(source, 0.71), try fixture("jitter_brightness_0.71.png"), "brightness 0.71")
        assertClose(ColorJitter.adjustContrast(source, 0.74), try fixture("jitter_contrast_0.74.png"), "contrast 0.74")
        assertClose(ColorJitter.adjustContrast(source, 1.3), try fixture("jitter_contrast_1.3.png"), "contrast 1.3")
        assertClose(
            ColorJitter.adjustSaturation(source, 1.22), try fixture("jitter_saturation_1.22.png"), "saturation 1.22")
        assertClose(
            ColorJitter.adjustSaturation(source, 0.7), try fixture("jitter_saturation_0.7.png"), "saturation 0.7")
        assertClose(ColorJitter.adjustHue(source, 0.07), try fixture("jitter_hue_0.07.png"), "hue 0.07")
        assertClose(ColorJitter.adjustHue(source, -0.09), try fixture("jitter_hue_-0.09.png"), "hue -0.09")
    }

    func testLongSideRuleRoundsHalfToEven() {
        // 375 × 500 → long side 256: short 192; 3 × 4 scaled to 6 → 4.5 → 4 (half to even).
        XCTAssertEqual(PillowResize.longSideSize(width: 500, height: 375, target: 256).height, 192)
        XCTAssertEqual(PillowResize.longSideSize(width: 4, height: 3, target: 6).height, 4)
        XCTAssertEqual(PillowResize.longSideSize(width: 3, height: 4, target: 10).width, 8)
    }
}
