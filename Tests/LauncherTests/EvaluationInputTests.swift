import Data
import Foundation
import XCTest

/// `eps-dist eval` refuses what would make a score silently wrong (exit 2,
/// naming the file), and accepts what is right.
final class EvaluationInputTests: XCTestCase {
    /// A folder with gt/, pred/ and list.txt of one or two images.
    func setUp(gt: [Image8], pred: [Image8], ids: [String]? = nil) throws -> (dir: String, args: [String]) {
        let dir = ProcessHarness.temporaryDirectory("eval-input")
        for sub in ["gt", "pred"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(sub)", withIntermediateDirectories: true)
        }
        for (i, mask) in gt.enumerated() { try ImageCodecs.writePNG(mask, to: "\(dir)/gt/img\(i).png") }
        for (i, mask) in pred.enumerated() { try ImageCodecs.writePNG(mask, to: "\(dir)/pred/img\(i).png") }
        let list = ids ?? gt.indices.map { "img\($0)" }
        try (list.joined(separator: "\n") + "\n").write(toFile: "\(dir)/list.txt", atomically: true, encoding: .utf8)
        return (dir, ["eval", "--gt-dir", "\(dir)/gt", "--pred-dir", "\(dir)/pred", "--datalist", "\(dir)/list.txt"])
    }

    func mask(_ w: Int, _ h: Int, _ values: [UInt8]) -> Image8 {
        Image8(width: w, height: h, channels: 1, pixels: (0..<(w * h)).map { values[$0 % values.count] })
    }

    func assertRefused(_ args: [String], mentions needles: [String], file: StaticString = #filePath, line: UInt = #line)
        throws
    {
        let result = try ProcessHarness.epsDist(args, timeout: 60)
        XCTAssertEqual(result.status, 2, result.stdout + result.stderr, file: file, line: line)
        for needle in needles {
            XCTAssertTrue(
                result.stderr.contains(needle), "expected '\(needle)' in: \(result.stderr)", file: file, line: line)
        }
        XCTAssertFalse(result.stdout.contains("mIoU"), "a score was printed: \(result.stdout)", file: file, line: line)
    }

    func testPredictionOfAnotherSizeIsRefused() throws {
        let (dir, args) = try setUp(gt: [mask(8, 6, [0, 1])], pred: [mask(8, 5, [0, 1])])
        try assertRefused(args, mentions: ["\(dir)/pred/img0.png", "8×5", "\(dir)/gt/img0.png", "8×6"])
    }

    /// Before: values outside the classes were dropped, so a prediction full
    /// of them scored as if perfect.
    func testPredictionValuesOutsideTheClassesAreRefused() throws {
        let (dir, args) = try setUp(gt: [mask(4, 4, [0, 3])], pred: [mask(4, 4, [0, 3, 40])])
        try assertRefused(args, mentions: ["\(dir)/pred/img0.png", "value 40", "not a class"])
    }

    func testAnAllowedPredictionIgnoreValueIsSkipped() throws {
        let (_, args) = try setUp(gt: [mask(4, 4, [0, 3])], pred: [mask(4, 4, [0, 255])])
        let result = try ProcessHarness.epsDist(args + ["--prediction-ignore", "255"], timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("mIoU"), result.stdout)
    }

    func testGroundTruthValuesThatAreNeitherClassNorIgnoreAreRefused() throws {
        let (dir, args) = try setUp(gt: [mask(4, 4, [0, 77])], pred: [mask(4, 4, [0])])
        try assertRefused(args, mentions: ["\(dir)/gt/img0.png", "value 77", "255 (ignore)"])
    }

    /// Before: it printed `mIoU nan`.
    func testAnEvaluationWithoutAnyScoredPixelIsRefused() throws {
        let (_, args) = try setUp(gt: [mask(4, 4, [255])], pred: [mask(4, 4, [0])])
        try assertRefused(args, mentions: ["no pixel was evaluated"])
    }

    /// Before: "an image not found", which sent people looking for their photos.
    func testAMissingGroundTruthMaskIsNamedAsOne() throws {
        let (dir, args) = try setUp(gt: [mask(4, 4, [0, 1])], pred: [mask(4, 4, [0, 1])])
        try FileManager.default.removeItem(atPath: "\(dir)/gt/img0.png")
        try assertRefused(args, mentions: ["\(dir)/gt/img0.png", "ground-truth mask not found", "--gt-dir"])
    }

    /// Before: a repeated id counted twice.
    func testDuplicateIdsAreRefused() throws {
        let (dir, args) = try setUp(gt: [mask(4, 4, [0, 1])], pred: [mask(4, 4, [0, 1])], ids: ["img0", "img0"])
        try assertRefused(args, mentions: ["\(dir)/list.txt", "img0", "more than once"])
    }

    func testMatchingMasksScore100() throws {
        let (_, args) = try setUp(gt: [mask(6, 4, [0, 1, 2, 255])], pred: [mask(6, 4, [0, 1, 2, 0])])
        let result = try ProcessHarness.epsDist(args, timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("100.00") || result.stdout.contains("100.0"), result.stdout)
    }
}
