import Data
import Foundation
import Support
import XCTest

/// Segmentation label maps (`--label-dir`): read into the samples, and
/// validated with the dataset (grey or palette indices < C or 255, the image's size).
final class LabelMapTests: XCTestCase {
    let dir = NSTemporaryDirectory() + "eps-dist-labelmaps-\(getpid())"

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func load() throws -> Dataset {
        var config = try LoaderTestData.make(in: dir, count: 4)
        config.labelDir = "\(dir)/labels"
        return try Dataset.load(config)
    }

    func problems(_ data: Dataset) -> [String] {
        data.validated(requireSaliency: false, imageLabels: false).1.map(\.description)
    }

    func testLabelDirGivesEachSampleItsMapAndValidMapsPass() throws {
        let data = try load()
        XCTAssertEqual(data.samples.map(\.labelMapPath), (0..<4).map { "\(dir)/labels/img\($0).png" })
        XCTAssertEqual(data.segmentationClasses, 4)
        // Palette maps (the fixture's) and grey maps of the same indices both pass.
        let palette = try ImageCodecs.readPNG("\(dir)/labels/img1.png", indices: true)
        try ImageCodecs.writePNG(palette, to: "\(dir)/labels/img1.png")
        XCTAssertEqual(try ImageCodecs.readPNG("\(dir)/labels/img1.png").channels, 1)
        let (checked, found) = data.validated(requireSaliency: false, imageLabels: false)
        XCTAssertEqual(found.map(\.description), [])
        XCTAssertEqual(checked.samples.count, 4)
        // Without --label-dir no sample has a map.
        var plain = data.config
        plain.labelDir = nil
        XCTAssertTrue(try Dataset.load(plain).samples.allSatisfy { $0.labelMapPath == nil })
    }

    func testMissingLabelFolderIsOneErrorNamingTheFlag() throws {
        var config = try LoaderTestData.make(in: dir, count: 2)
        config.labelDir = "\(dir)/nowhere"
        XCTAssertThrowsError(try Dataset.load(config)) { error in
            XCTAssertTrue("\(error)".contains("--label-dir") && "\(error)".contains("nowhere"), "\(error)")
        }
    }

    /// The VOC colour PNG decoded as RGB (deeplab-pytorch #109: trains on all background) is refused.
    func testRGBColourMaskIsRefusedNamingTheFileAndTheFix() throws {
        let data = try load()
        let indices = try ImageCodecs.readPNG("\(dir)/labels/img2.png", indices: true)
        let colours = try ImageCodecs.readPNG("\(dir)/labels/img2.png")  // palette expanded to RGB
        XCTAssertEqual(colours.channels, 3)
        XCTAssertEqual(colours.width, indices.width)
        try ImageCodecs.writePNG(colours, to: "\(dir)/labels/img2.png")
        let found = problems(data)
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found[0].contains("labels/img2.png") && found[0].contains("RGB colour-coded"), found[0])
        XCTAssertTrue(found[0].contains("grey or palette PNG"), found[0])
        let (checked, _) = data.validated(requireSaliency: false, imageLabels: false)
        XCTAssertEqual(checked.samples.map(\.id), ["img0", "img1", "img3"])
    }

    func testValueAboveTheClassCountIsRefusedAnd255Accepted() throws {
        let data = try load()
        var map = try ImageCodecs.readPNG("\(dir)/labels/img0.png", indices: true)
        XCTAssertTrue(map.pixels.contains(255) && map.pixels.contains(1))
        map[3, 5, 0] = 4  // classes 0…3 (background + 3 objects)
        try ImageCodecs.writePNG(map, to: "\(dir)/labels/img0.png", palette: ImageCodecs.vocPalette)
        let found = problems(data)
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(
            found[0].contains("labels/img0.png") && found[0].contains("value 4") && found[0].contains("4 classes"),
            found[0])
        map[3, 5, 0] = 3
        try ImageCodecs.writePNG(map, to: "\(dir)/labels/img0.png", palette: ImageCodecs.vocPalette)
        XCTAssertEqual(problems(data), [])
    }

    func testLabelMapOfAnotherSizeIsRefused() throws {
        let data = try load()
        try ImageCodecs.writePNG(Image8(width: 5, height: 4, channels: 1), to: "\(dir)/labels/img3.png")
        let found = problems(data)
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found[0].contains("labels/img3.png") && found[0].contains("5×4"), found[0])
        try FileManager.default.removeItem(atPath: "\(dir)/labels/img3.png")
        XCTAssertTrue(problems(data).first?.contains("labels/img3.png") ?? false)
    }

    /// Without image-level labels (segmentation) no XML or label file is needed.
    func testSegmentationValidationReadsNoImageLabels() throws {
        var config = try LoaderTestData.make(in: dir, count: 3)
        config.labelDir = "\(dir)/labels"
        config.labelsFile = nil
        let data = try Dataset.load(config)
        XCTAssertEqual(problems(data), [])
        XCTAssertFalse(data.validated(requireSaliency: false).1.isEmpty, "EPS still needs image labels")
    }
}
