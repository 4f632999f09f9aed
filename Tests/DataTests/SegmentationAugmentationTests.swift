import Data
import Foundation
import Support
import XCTest

/// The segmentation data path against OpenCV and deeplab-pytorch's own code
/// (arrays made by scripts/make_segmentation_fixtures.py with OpenCV 4.14 and
/// Pillow 13). Both match exactly; older OpenCV differs (see `OpenCVResize`).
final class SegmentationAugmentationTests: XCTestCase {
    func png(_ name: String, indices: Bool = false) throws -> Image8 { try Fixtures.png(name, indices: indices) }
    func npy(_ name: String) throws -> NumpyFile { try Fixtures.npy(name) }
    func floats(_ file: NumpyFile) -> [Float] { Fixtures.floats(file) }

    /// Largest |a − b| / max(|b|, 1) and the count of exactly equal values.
    func compare(_ a: [Float], _ b: [Float]) -> (worst: Double, exact: Int) {
        XCTAssertEqual(a.count, b.count)
        var worst = 0.0
        var exact = 0
        for (x, y) in zip(a, b) {
            worst = max(worst, Double(abs(x - y)) / max(Double(abs(y)), 1))
            if x == y { exact += 1 }
        }
        return (worst, exact)
    }

    func testLinearResizeMatchesOpenCV() throws {
        let sources = ["odd": try png("seg_odd.png"), "even": try png("seg_even.png")]
        let cases = [
            ("odd", 18, 14), ("odd", 27, 21), ("odd", 46, 36), ("odd", 55, 43), ("odd", 9, 31), ("odd", 80, 7),
            ("even", 20, 15), ("even", 30, 22), ("even", 60, 45), ("even", 41, 29), ("even", 13, 60),
        ]
        var overall = 0.0
        for (name, w, h) in cases {
            let expected = try npy("cvresize_\(name)_\(w)x\(h).npy")
            XCTAssertEqual(expected.shape, [h, w, 3])
            let source = sources[name]!
            let ours = OpenCVResize.linear(
                OpenCVResize.bgrFloats(source), width: source.width, height: source.height, channels: 3, toWidth: w,
                toHeight: h)
            let (worst, exact) = compare(ours, floats(expected))
            print("cv2.resize \(name) → \(w)×\(h): max relative difference \(worst), \(exact)/\(w * h * 3) exact")
            XCTAssertEqual(worst, 0, "\(name) → \(w)×\(h)")
            overall = max(overall, worst)
        }
        print("cv2.resize INTER_LINEAR float: max relative difference over all cases \(overall)")
    }

    /// The whole training transform against dlp's `_augmentation` + mean
    /// subtraction, given the same draws: padding on both, one or no axis, flips.
    func testTrainingTransformMatchesDeepLabPytorch() throws {
        let cases: [(String, Int, Double, Int, Int, Bool)] = [
            ("even", 25, 0.5, 0, 0, true), ("odd", 25, 1.5, 7, 19, false), ("odd", 25, 0.75, 0, 2, true),
            ("odd", 31, 1.25, 5, 15, true), ("odd", 29, 1.0, 0, 8, false), ("even", 33, 0.75, 0, 0, false),
        ]
        for (name, crop, scale, top, left, flip) in cases {
            let image = try png("seg_\(name).png")
            let label = try png("seg_\(name)_label.png", indices: true)
            let aug = SegmentationAugmentation(cropSize: crop)
            let out = aug.apply(
                image: image, label: label, draws: .init(scale: scale, top: top, left: left, flip: flip))
            let tag = "segaug_\(name)_c\(crop)_s\(scale)_y\(top)_x\(left)_f\(flip ? 1 : 0)"
            let expectedImage = try npy("\(tag)_image.npy")
            XCTAssertEqual(expectedImage.shape, [3, crop, crop])
            let (worst, exact) = compare(out.image, floats(expectedImage))
            print("\(tag): image max relative difference \(worst), \(exact)/\(out.image.count) exact")
            XCTAssertEqual(worst, 0, tag)
            let expectedLabel = try npy("\(tag)_label.npy")
            XCTAssertEqual(expectedLabel.descr, "|u1")
            XCTAssertEqual(out.label, expectedLabel.payload, tag)
        }
    }

    func testEvalTransformIsTheWholeImageInBGRMinusTheMean() throws {
        let image = try png("seg_odd.png")
        let ours = SegmentationAugmentation.evalImage(image)
        let expected = try npy("segeval_odd_image.npy")
        XCTAssertEqual(expected.shape, [3, image.height, image.width])
        XCTAssertEqual(ours, floats(expected))
        // Another normalisation is a parameter: (v − mean) / std per BGR channel.
        let unit = BGRNormalization(mean: [10, 20, 30], std: [2, 4, 8])
        let other = SegmentationAugmentation.evalImage(image, normalization: unit)
        let plane = image.width * image.height
        XCTAssertEqual(other[0], (Float(image.pixels[2]) - 10) / 2)  // B of pixel 0
        XCTAssertEqual(other[2 * plane + 5], (Float(image.pixels[15]) - 30) / 8)  // R of pixel 5
    }

    /// Draws come from the sample's generator in dlp's order (scale, top,
    /// left, flip); offsets are uniform over the inclusive range of the padded size.
    func testDrawsUseTheKeyedGeneratorInOrderAndCoverTheirRanges() {
        let aug = SegmentationAugmentation(cropSize: 20, scales: [0.5, 1.0, 1.5])
        var tops = Set<Int>()
        var lefts = Set<Int>()
        var flips = 0
        for key in 0..<600 {
            var rng = KeyedRandom(key: UInt64(key))
            let d = aug.draw(width: 30, height: 22, rng: &rng)
            var check = KeyedRandom(key: UInt64(key))
            let scale = [0.5, 1.0, 1.5][check.int(in: 0...2)]
            let size = SegmentationAugmentation.scaledSize(width: 30, height: 22, scale: scale)
            XCTAssertEqual(d.scale, scale)
            XCTAssertEqual(d.top, check.int(in: 0...(max(size.height, 20) - 20)))
            XCTAssertEqual(d.left, check.int(in: 0...(max(size.width, 20) - 20)))
            XCTAssertEqual(d.flip, check.nextUnitDouble() < 0.5)
            if scale == 1.5 {
                tops.insert(d.top)
                lefts.insert(d.left)
            }
            if d.flip { flips += 1 }
        }
        XCTAssertEqual(tops, Set(0...13), "1.5 × 22 = 33 rows: offsets 0…13")
        XCTAssertEqual(lefts, Set(0...25), "1.5 × 30 = 45 columns: offsets 0…25")
        XCTAssertTrue((240...360).contains(flips), "\(flips) flips of 600")
        let noFlip = SegmentationAugmentation(cropSize: 20, flip: false)
        var rng = KeyedRandom(key: 3)
        XCTAssertFalse((0..<50).contains { _ in noFlip.draw(width: 30, height: 22, rng: &rng).flip })
    }
}
