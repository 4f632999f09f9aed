import Data
import Foundation
import Launcher
import XCTest

/// `--class-names FILE`: one's own classes for train, infer, eval and sweep.
final class ClassNamesTests: XCTestCase {
    func assertRefused(_ text: String, mentions needle: String, line: UInt = #line) {
        XCTAssertThrowsError(try ClassNames.parse(text, path: "mine.txt"), line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("mine.txt: "), message, line: line)
            XCTAssertTrue(message.contains(needle), "expected '\(needle)' in: \(message)", line: line)
        }
    }

    func testClassNamesFileIsValidated() throws {
        XCTAssertEqual(try ClassNames.parse("cat\ndog\ntraffic light\n", path: "f"), ["cat", "dog", "traffic light"])
        XCTAssertEqual(try ClassNames.parse("\u{FEFF}cat\r\ndog\r\n", path: "f"), ["cat", "dog"])
        XCTAssertEqual(try ClassNames.parse("cat", path: "f"), ["cat"])
        assertRefused("", mentions: "empty")
        assertRefused("\n", mentions: "empty")
        assertRefused("cat\n\ndog\n", mentions: "line 2 is blank")
        assertRefused("cat\ndog\n\n", mentions: "line 3 is blank")
        assertRefused("cat\ndog\ncat\n", mentions: "line 3 repeats 'cat' of line 1")
        assertRefused("Background\ncat\n", mentions: "line 1 names the background")
        assertRefused("cat\ndo\u{7}g\n", mentions: "line 2 holds a control character")
        assertRefused((0..<255).map { "c\($0)" }.joined(separator: "\n"), mentions: "255 classes")
        XCTAssertEqual(try ClassNames.resolve(kind: .coco, file: nil).count, 80)
        XCTAssertEqual(DatasetKind(name: "voc12"), .voc)
    }

    /// The synthetic VOC images relabelled into three classes of one's own:
    /// train, infer (masks, report and provenance name the classes), eval and sweep.
    func testCustomThreeClassDatasetTrainsInfersAndEvaluates() throws {
        let root = SyntheticFixture.root
        let dir = ProcessHarness.temporaryDirectory("three-classes")
        let names = ["round", "boxy", "pointy"]
        try (names.joined(separator: "\n") + "\n").write(
            toFile: "\(dir)/classes.txt", atomically: true, encoding: .utf8)
        // VOC class c becomes c % 3, in the labels and in the ground truth (value v → (v-1) % 3 + 1).
        let ids = try Dataset.readList(SyntheticFixture.trainList)
        var labels = ""
        try FileManager.default.createDirectory(atPath: "\(dir)/gt", withIntermediateDirectories: true)
        for id in ids {
            let voc = try LabelSources.vocLabels(xml: "\(root)/Annotations/\(id).xml", classes: ClassNames.voc)
            let mine = Set(voc.indices.filter { voc[$0] > 0 }.map { $0 % 3 }).sorted()
            labels += "\(id) " + mine.map(String.init).joined(separator: " ") + "\n"
            var gt = try ImageCodecs.readPNG("\(root)/SegmentationClassAug/\(id).png", indices: true)
            gt.pixels = gt.pixels.map { $0 == 0 || $0 == 255 ? $0 : ($0 - 1) % 3 + 1 }
            try ImageCodecs.writePNG(gt, to: "\(dir)/gt/\(id).png")
        }
        try labels.write(toFile: "\(dir)/labels.txt", atomically: true, encoding: .utf8)
        let own = ["--class-names", "\(dir)/classes.txt", "--labels", "\(dir)/labels.txt"]

        let run = "\(dir)/run"
        let trained = try ProcessHarness.epsDist(SyntheticFixture.trainArguments(out: run, iterations: 4, extra: own))
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(try String(contentsOfFile: "\(run)/config.yaml", encoding: .utf8).contains("class_names:"))

        let infer = [
            "infer", "--weights", "\(run)/checkpoint.safetensors", "--data-root", root, "--infer-list",
            SyntheticFixture.trainList, "--scales", "1.0", "--gt-dir", "\(dir)/gt",
        ]
        // Without the file the checkpoint's 3 classes do not match VOC's 20.
        let mismatched = try ProcessHarness.epsDist(infer + ["--labels", "\(dir)/labels.txt", "--cam-png", "\(dir)/x"])
        XCTAssertEqual(mismatched.status, 2, mismatched.stderr)
        XCTAssertTrue(mismatched.stderr.contains("--class-names"), mismatched.stderr)

        let masks = "\(dir)/masks"
        let inferred = try ProcessHarness.epsDist(infer + own + ["--cam-png", masks, "--cam-npy", "\(dir)/npy"])
        XCTAssertEqual(inferred.status, 0, inferred.stderr)
        for id in ids {
            let mask = try ImageCodecs.readPNG("\(masks)/\(id).png", indices: true)
            XCTAssertLessThanOrEqual(mask.pixels.max() ?? 0, 3, id)
        }
        func json(_ path: String) throws -> [String: Any] {
            try XCTUnwrap(
                JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        }
        XCTAssertEqual(try json("\(masks)/report.json")["classes"] as? [String], ["background"] + names)
        XCTAssertEqual(try json("\(masks)/provenance.json")["class_names"] as? [String], names)

        let evaluated = try ProcessHarness.epsDist([
            "eval", "--gt-dir", "\(dir)/gt", "--pred-dir", masks, "--datalist", SyntheticFixture.trainList,
            "--class-names", "\(dir)/classes.txt", "--json", "\(dir)/eval.json",
        ])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        XCTAssertEqual(try json("\(dir)/eval.json")["classes"] as? [String], ["background"] + names)
        XCTAssertEqual(
            (try json("\(dir)/eval.json")["miou"] as? NSNumber)?.doubleValue,
            (try json("\(masks)/report.json")["miou"] as? NSNumber)?.doubleValue)
        let swept = try ProcessHarness.epsDist([
            "sweep", "--cam-dir", "\(dir)/npy", "--gt-dir", "\(dir)/gt", "--datalist", SyntheticFixture.trainList,
            "--class-names", "\(dir)/classes.txt", "--thr-range", "0.20", "0.20", "0.05",
        ])
        XCTAssertEqual(swept.status, 0, swept.stderr)
        XCTAssertTrue(swept.stdout.contains("pointy"), swept.stdout)
    }

    /// Labels of a class the file does not have: status 2 naming the labels file.
    func testLabelsBeyondTheClassNamesAreRefused() throws {
        let dir = ProcessHarness.temporaryDirectory("class-count")
        try "round\nboxy\n".write(toFile: "\(dir)/classes.txt", atomically: true, encoding: .utf8)
        let ids = try Dataset.readList(SyntheticFixture.trainList)
        try ids.map { "\($0) 0 5" }.joined(separator: "\n").write(
            toFile: "\(dir)/labels.txt", atomically: true, encoding: .utf8)
        let result = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(
                out: "\(dir)/run",
                extra: ["--class-names", "\(dir)/classes.txt", "--labels", "\(dir)/labels.txt"]))
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(
            result.stderr.contains("\(dir)/labels.txt") && result.stderr.contains("outside 0..<2"), result.stderr)
        try "round\n\nboxy\n".write(toFile: "\(dir)/blank.txt", atomically: true, encoding: .utf8)
        let blank = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(out: "\(dir)/run2", extra: ["--class-names", "\(dir)/blank.txt"]))
        XCTAssertEqual(blank.status, 2, blank.stderr)
        XCTAssertTrue(blank.stderr.contains("\(dir)/blank.txt: line 2 is blank"), blank.stderr)
    }
}
