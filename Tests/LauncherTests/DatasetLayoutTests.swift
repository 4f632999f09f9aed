import Data
import Foundation
import Launcher
import XCTest

/// Training and inference on the COCO layout and with every label source.
final class DatasetLayoutTests: XCTestCase {
    func testCOCOLayoutTrainsAndInfers() throws {
        let root = ProcessHarness.temporaryDirectory("coco")
        _ = try SyntheticWriter.write(to: root, format: .coco, difficulty: .easy, train: 16, val: 0, seed: 3)
        for path in ["train2014", "annotations/instances_train.json", "SegmentationClass", "saliency", "train.txt"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(root)/\(path)"), path)
        }
        let run = ProcessHarness.temporaryDirectory("coco-run")
        let trained = try ProcessHarness.epsDist([
            "train", "--dataset", "coco", "--data-root", root, "--train-list", "\(root)/train.txt",
            "--labels", "\(root)/annotations/instances_train.json", "--saliency-root", "\(root)/saliency",
            "--arch", "tiny", "--batch-size", "4", "--crop-size", "48", "--resize-size", "40", "64", "--max-iters", "4",
            "--out", run,
        ])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(trained.stdout.contains("80 classes"), trained.stdout)
        let masks = ProcessHarness.temporaryDirectory("coco-masks")
        let inferred = try ProcessHarness.epsDist([
            "infer", "--weights", "\(run)/checkpoint.safetensors", "--dataset", "coco", "--data-root", root,
            "--infer-list", "\(root)/train.txt", "--labels", "\(root)/annotations/instances_train.json",
            "--scales", "1.0", "--cam-png", masks, "--gt-dir", "\(root)/SegmentationClass",
        ])
        XCTAssertEqual(inferred.status, 0, inferred.stderr)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: masks).filter { $0.hasSuffix(".png") }.count, 16)
    }

    /// The same VOC images with labels from XML, a text file and a JSON file.
    func testEveryLabelSourceTrains() throws {
        let root = SyntheticFixture.root
        let ids = try Dataset.readList(SyntheticFixture.trainList)
        var text = ""
        var json: [String: [Int]] = [:]
        for id in ids {
            let labels = try LabelSources.vocLabels(xml: "\(root)/Annotations/\(id).xml", classes: ClassNames.voc)
            let indices = labels.enumerated().filter { $0.element == 1 }.map(\.offset)
            text += "\(id) " + indices.map(String.init).joined(separator: " ") + "\n"
            json[id] = indices
        }
        let dir = ProcessHarness.temporaryDirectory("label-sources")
        try text.write(toFile: "\(dir)/labels.txt", atomically: true, encoding: .utf8)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: "\(dir)/labels.json"))
        var finals: [SafeTensorsFileLike] = []
        for source in [nil, "\(dir)/labels.txt", "\(dir)/labels.json"] {
            let run = ProcessHarness.temporaryDirectory("labels-\(finals.count)")
            let extra = source.map { ["--labels", $0] } ?? []
            let result = try ProcessHarness.epsDist(
                SyntheticFixture.trainArguments(out: run, iterations: 3, extra: extra))
            XCTAssertEqual(result.status, 0, result.stderr)
            finals.append(SafeTensorsFileLike(path: "\(run)/checkpoint.safetensors"))
        }
        // Same labels, same seed: the same weights whatever the source.
        XCTAssertGreaterThan(finals[0].bytes.count, 100_000)
        XCTAssertEqual(finals[0].bytes, finals[1].bytes)
        XCTAssertEqual(finals[0].bytes, finals[2].bytes)
    }
}

/// The bytes of a checkpoint after its header (the config in the metadata differs).
struct SafeTensorsFileLike {
    let bytes: Data
    init(path: String) {
        let data = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
        let headerLength =
            data.count >= 8 ? Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }) : 0
        bytes = data.count > 8 + headerLength ? data.suffix(from: 8 + headerLength) : Data()
    }
}
