import Data
import Foundation
import Support
import XCTest

final class LabelAndSamplerTests: XCTestCase {
    let dir = NSTemporaryDirectory() + "eps-dist-labels-\(getpid())"
    override func setUp() { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }

    func testVOCXMLTakesObjectNamesNotPartNames() throws {
        let xml = """
            <annotation><filename>x.jpg</filename>
              <object><name>person</name><part><name>head</name></part><part><name>hand</name></part></object>
              <object><name>train</name></object><object><name>person</name></object>
            </annotation>
            """
        try xml.write(toFile: "\(dir)/a.xml", atomically: true, encoding: .utf8)
        XCTAssertEqual(try LabelSources.vocObjectNames(xml: "\(dir)/a.xml"), ["person", "train", "person"])
        let labels = try LabelSources.vocLabels(xml: "\(dir)/a.xml", classes: ClassNames.voc)
        XCTAssertEqual(labels.enumerated().filter { $0.element == 1 }.map(\.offset), [14, 18])
    }

    /// FoundationXML reported success on these: a cut-off file lost the
    /// labels after the cut, an empty one read as "no object label".
    func testTruncatedOrEmptyAnnotationsAreRefused() throws {
        let whole = "<annotation><object><name>train</name></object><object><name>person</name></object></annotation>"
        let cut = String(whole.prefix(whole.range(of: "<name>person")!.lowerBound.utf16Offset(in: whole) + 3))
        for (name, text, needle) in [
            ("cut.xml", cut, "cut short"), ("open.xml", "<annotation><object>", "cut short"),
            ("empty.xml", "", "empty"),
        ] {
            try text.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try LabelSources.vocObjectNames(xml: "\(dir)/\(name)"), name) { error in
                XCTAssertTrue("\(error)".contains(name) && "\(error)".contains(needle), "\(error)")
            }
        }
    }

    func testUnknownClassNameIsAnError() throws {
        try "<annotation><object><name>unicorn</name></object></annotation>".write(
            toFile: "\(dir)/u.xml", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LabelSources.vocLabels(xml: "\(dir)/u.xml", classes: ClassNames.voc)) { error in
            XCTAssertTrue("\(error)".contains("unicorn") && "\(error)".contains("u.xml"))
        }
    }

    func testTextAndJSONLabelFiles() throws {
        try "img1 0 14\nimg2 18\n".write(toFile: "\(dir)/labels.txt", atomically: true, encoding: .utf8)
        let text = try LabelSources.readLabelFile("\(dir)/labels.txt", numClasses: 20)
        XCTAssertEqual(text["img1"]?.enumerated().filter { $0.element == 1 }.map(\.offset), [0, 14])
        try #"{"img1": [3], "img2": [1, 2]}"#.write(toFile: "\(dir)/labels.json", atomically: true, encoding: .utf8)
        let json = try LabelSources.readLabelFile("\(dir)/labels.json", numClasses: 20)
        XCTAssertEqual(json["img2"]?.enumerated().filter { $0.element == 1 }.map(\.offset), [1, 2])
        try "img1 0 44\n".write(toFile: "\(dir)/bad.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LabelSources.readLabelFile("\(dir)/bad.txt", numClasses: 20))
        try "{not json".write(toFile: "\(dir)/bad.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LabelSources.readLabelFile("\(dir)/bad.json", numClasses: 20))
        // 1.9 is not class 1 (the text format refuses it too), nor 1e300 an index.
        for bad in [#"{"img1": [1.9]}"#, #"{"img1": [1e300]}"#] {
            try bad.write(toFile: "\(dir)/fraction.json", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try LabelSources.readLabelFile("\(dir)/fraction.json", numClasses: 20)) {
                XCTAssertTrue("\($0)".contains("is not a class index"), "\($0)")
            }
        }
        // An image listed twice with other labels: the last line won before.
        try "img1 0\nimg2 3\nimg1 3\n".write(toFile: "\(dir)/twice.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LabelSources.readLabelFile("\(dir)/twice.txt", numClasses: 20)) {
            XCTAssertTrue("\($0)".contains("line 3: 'img1' is listed again") && "\($0)".contains("line 1"), "\($0)")
        }
        try "img1 0\nimg1 0\n".write(toFile: "\(dir)/same.txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(hot(try LabelSources.readLabelFile("\(dir)/same.txt", numClasses: 20)["img1"]), [0])
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        .path

    func hot(_ v: [Float]?) -> [Int] { (v ?? []).enumerated().filter { $0.element == 1 }.map(\.offset) }

    /// A cls_labels.npy written by NumPy (scripts/make_label_fixtures.py), read natively.
    func testReferenceClsLabelsNpy() throws {
        let table = try LabelSources.readLabelFile("\(Self.fixtures)/cls_labels.npy", numClasses: 20)
        XCTAssertEqual(table.count, 4)
        XCTAssertEqual(hot(table["2007_000000"]), [14])
        XCTAssertEqual(hot(table["2007_000001"]), [0, 18])
        XCTAssertEqual(hot(table["2007_000002"]), [3, 14, 19])
        XCTAssertThrowsError(try LabelSources.readLabelFile("\(Self.fixtures)/cls_labels.npy", numClasses: 80))
        // A truncated copy is a clear error, not a crash.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(Self.fixtures)/cls_labels.npy"))
        try bytes.prefix(bytes.count - 40).write(to: URL(fileURLWithPath: "\(dir)/cut.npy"))
        XCTAssertThrowsError(try LabelSources.readLabelFile("\(dir)/cut.npy", numClasses: 20)) { error in
            XCTAssertTrue("\(error)".contains("cut.npy"), "\(error)")
        }
    }

    /// COCO instances JSON: classes are the categories in ascending id order.
    func testCOCOInstancesJSON() throws {
        let table = try LabelSources.readLabelFile("\(Self.fixtures)/instances_tiny.json", numClasses: 80)
        XCTAssertEqual(hot(table["COCO_train2014_000000000009"]), [0, 79])
        XCTAssertEqual(hot(table["COCO_train2014_000000000025"]), [23])
    }

    /// A COCO instances JSON with a missing key or a malformed entry names
    /// the file and the key (before: a generic message, or entries skipped).
    func testCOCOSchemaErrorsNameTheKey() throws {
        let base =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(Self.fixtures)/instances_tiny.json"))) as! [String: Any]
        func check(_ edit: (inout [String: Any]) -> Void, _ needle: String, line: UInt = #line) throws {
            var object = base
            edit(&object)
            let path = "\(dir)/bad-\(line).json"
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try LabelSources.readLabelFile(path, numClasses: 80), line: line) { error in
                XCTAssertTrue("\(error)".contains(path) && "\(error)".contains(needle), "\(error)", line: line)
            }
        }
        for key in ["images", "annotations", "categories"] {
            try check({ $0[key] = nil }, "lacks the key \"\(key)\"")
        }
        try check(
            { o in
                var images = o["images"] as! [[String: Any]]
                images[0]["file_name"] = nil
                o["images"] = images
            }, "images[0] lacks a \"file_name\"")
        try check(
            { o in
                var annotations = o["annotations"] as! [[String: Any]]
                annotations[1]["category_id"] = nil
                o["annotations"] = annotations
            }, "annotations[1] lacks a whole-number \"category_id\"")
        try check(
            { o in
                var annotations = o["annotations"] as! [[String: Any]]
                annotations[1]["category_id"] = 1.7  // read as category 1 before
                o["annotations"] = annotations
            }, "annotations[1] lacks a whole-number \"category_id\"")
        try check(
            { o in
                var annotations = o["annotations"] as! [[String: Any]]
                annotations[0]["image_id"] = 123_456_789
                o["annotations"] = annotations
            }, "image_id 123456789, not in images")
    }

    /// A list id must be a plain name: it names files inside the dataset and
    /// output folders (an id like '../x' would write outside them).
    func testListIdsArePlainNames() throws {
        for bad in ["../escape", "/JPEGImages/2008_000006.jpg", "a/b", ".hidden", "a\\b"] {
            try "2007_000032\n\(bad)\n".write(toFile: "\(dir)/list.txt", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Dataset.readList("\(dir)/list.txt"), bad) { error in
                XCTAssertTrue("\(error)".contains("entry 2") && "\(error)".contains("list.txt"), "\(error)")
            }
        }
        try "\u{FEFF}2007_000032\r\n2007_000039\r\n".write(toFile: "\(dir)/bom.txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(try Dataset.readList("\(dir)/bom.txt"), ["2007_000032", "2007_000039"])
    }

    /// The sample stream does not depend on the number of ranks: the ranks'
    /// shares concatenate to the global batch, and the keys are the same.
    func testSampleStreamIsIndependentOfRankCount() {
        let sampler = GlobalSampler(datasetSize: 37, globalBatch: 8, seed: 9)
        XCTAssertEqual(sampler.batchesPerEpoch, 4)
        var seen = Set<Int>()
        for step in 0..<12 {
            let global = sampler.globalBatch(step: step)
            for ranks in [1, 2, 4, 8] {
                let joined = (0..<ranks).flatMap { sampler.localBatch(step: step, rank: $0, ranks: ranks) }
                XCTAssertEqual(joined, global)
            }
            if step < 4 { seen.formUnion(global) }
        }
        XCTAssertEqual(seen.count, 32, "one epoch draws distinct samples")
        XCTAssertNotEqual(sampler.permutation(epoch: 0), sampler.permutation(epoch: 1))
        XCTAssertEqual(sampler.epoch(ofStep: 4), 1)
    }

    func testCropPadsWithZerosAndKeepsOffsets() {
        // A 3×2 image into a 4×4 crop: container offsets in 0…1 / 0…2, image offset 0.
        var rng = KeyedRandom(key: 1)
        let box = CropBox.random(width: 3, height: 2, crop: 4, rng: &rng)
        XCTAssertEqual([box.imageX, box.imageY, box.copyW, box.copyH], [0, 0, 3, 2])
        let plane: [Float] = [1, 2, 3, 4, 5, 6]
        let out = box.apply(planes: [plane], width: 3)
        XCTAssertEqual(out.count, 16)
        XCTAssertEqual(out.reduce(0, +), 21)
        XCTAssertEqual(out[box.containerY * 4 + box.containerX], 1)
        // A larger image: the window moves, nothing is padded.
        let big = CropBox.random(width: 10, height: 9, crop: 4, rng: &rng)
        XCTAssertEqual([big.containerX, big.containerY, big.copyW, big.copyH], [0, 0, 4, 4])
        XCTAssertTrue((0...6).contains(big.imageX) && (0...5).contains(big.imageY))
    }

    func testFlipMirrorsRows() {
        let img = Image8(width: 3, height: 1, channels: 1, pixels: [1, 2, 3])
        XCTAssertEqual(img.flippedHorizontally().pixels, [3, 2, 1])
    }

    func testAugmentationIsDeterministicPerKey() {
        let image = Image8(width: 40, height: 30, channels: 3, pixels: (0..<3600).map { UInt8($0 % 251) })
        let sal = Image8(width: 40, height: 30, channels: 1, pixels: (0..<1200).map { UInt8($0 % 256) })
        let aug = EPSAugmentation(cropSize: 32, resizeRange: 24...48)
        var r1 = KeyedRandom(key: 77)
        var r2 = KeyedRandom(key: 77)
        let a = aug.apply(image: image, saliency: sal, rng: &r1)
        let b = aug.apply(image: image, saliency: sal, rng: &r2)
        XCTAssertEqual(a.image, b.image)
        XCTAssertEqual(a.saliency, b.saliency)
        XCTAssertEqual(a.image.count, 3 * 32 * 32)
        XCTAssertTrue(a.saliency!.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
}
