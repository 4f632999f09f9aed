import Data
import Foundation
import Support
import XCTest

/// `eps-dist sweep`: the threshold sweep of saved maps agrees with infer's
/// own evaluation at infer's threshold, on one rank and sharded over two.
final class SweepTests: XCTestCase {
    static func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    /// Under mpirun -n 2: infer --cam-npy writes the field's dicts with exactly each image's classes; the sweep
    /// gives, at every threshold, the mIoU of `infer --thr T` + `eval`; dense maps sweep alike; the masks the
    /// sweep writes at a threshold are infer's at that threshold.
    func testSweepEqualsInferAndEvalAtEveryThreshold() throws {
        let dir = ProcessHarness.temporaryDirectory("sweep-every")
        var r = try ProcessHarness.epsDist(SyntheticFixture.trainArguments(out: "\(dir)/run", iterations: 4))
        XCTAssertEqual(r.status, 0, r.stderr)
        let gt = "\(SyntheticFixture.root)/SegmentationClassAug"
        let list = SyntheticFixture.trainList
        var lastInfer = ""
        func infer(thr: String, masks: String, extra: [String] = []) throws {
            let r = try ProcessHarness.mpiEpsDist(
                ranks: 2,
                [
                    "infer", "--weights", "\(dir)/run/checkpoint.safetensors", "--data-root", SyntheticFixture.root,
                    "--infer-list", list, "--cam-png", masks, "--scales", "1.0", "--thr", thr, "--threads", "1",
                ] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            lastInfer = r.stdout
        }
        try infer(thr: "0.2", masks: "\(dir)/masks-0.2", extra: ["--cam-npy", "\(dir)/maps", "--progress-every", "0"])
        // Every rank reported its images done and the time left.
        for rank in 0..<2 {
            XCTAssertTrue(lastInfer.contains("infer rank \(rank): 1/"), lastInfer)
            XCTAssertTrue(lastInfer.contains("img/s") && lastInfer.contains("left"), lastInfer)
        }
        try infer(
            thr: "0.2", masks: "\(dir)/masks-dense",
            extra: ["--cam-npy", "\(dir)/maps-dense", "--cam-npy-format", "dense"])
        let ids = try Dataset.readList(list)
        for id in ids {
            let cams = try CAMArrays.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/maps/\(id).npy"))))
            let truth = try ImageCodecs.readPNG("\(gt)/\(id).png", indices: true)
            let classes = Set(truth.pixels.filter { $0 != 0 && $0 != 255 }.map { Int($0) - 1 })
            XCTAssertEqual(cams.classIndices, classes.sorted(), id)
            XCTAssertEqual([cams.width, cams.height], [truth.width, truth.height], id)
        }
        let sweep = [
            "sweep", "--gt-dir", gt, "--datalist", list, "--thr-range", "0.1", "0.5", "0.1",
        ]
        r = try ProcessHarness.mpiEpsDist(
            ranks: 2,
            sweep + [
                "--cam-dir", "\(dir)/maps", "--json", "\(dir)/sweep.json", "--csv", "\(dir)/sweep.csv",
                "--write-masks", "\(dir)/sweep-masks", "--mask-thr", "0.3",
            ])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try ProcessHarness.mpiEpsDist(
            ranks: 2, sweep + ["--cam-dir", "\(dir)/maps-dense", "--json", "\(dir)/dense.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try Self.json("\(dir)/sweep.json")["thresholds"] as! [[String: Any]]
        let denseRows = try Self.json("\(dir)/dense.json")["thresholds"] as! [[String: Any]]
        XCTAssertEqual(rows.count, 5)
        let csvLines = try String(contentsOfFile: "\(dir)/sweep.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csvLines.count, 6)
        XCTAssertTrue(csvLines[0].hasPrefix("thr,miou,precision,recall,\"iou_background\""), String(csvLines[0]))
        for (row, denseRow) in zip(rows, denseRows) {
            let thr = row["thr"] as! Double
            let text = String(format: "%.1f", thr)
            XCTAssertEqual(row["miou"] as! Double, denseRow["miou"] as! Double, "dict and dense maps at \(text)")
            if text != "0.2" { try infer(thr: text, masks: "\(dir)/masks-\(text)") }
            r = try ProcessHarness.epsDist([
                "eval", "--gt-dir", gt, "--pred-dir", "\(dir)/masks-\(text)", "--datalist", list, "--json",
                "\(dir)/eval-\(text).json",
            ])
            XCTAssertEqual(r.status, 0, r.stderr)
            let evalMIoU = try Self.json("\(dir)/eval-\(text).json")["miou"] as! Double
            XCTAssertEqual(row["miou"] as! Double, evalMIoU, accuracy: 1e-6, "sweep vs infer --thr \(text) + eval")
            let csvMIoU = Double(
                csvLines[rows.firstIndex { ($0["thr"] as! Double) == thr }! + 1].split(separator: ",")[1])!
            XCTAssertEqual(csvMIoU, evalMIoU, accuracy: 1e-6)
        }
        for id in ids {
            let written = try ImageCodecs.readPNG("\(dir)/sweep-masks/\(id).png", indices: true)
            let inferred = try ImageCodecs.readPNG("\(dir)/masks-0.3/\(id).png", indices: true)
            XCTAssertEqual(written.pixels, inferred.pixels, "sweep --write-masks at 0.3 vs infer --thr 0.3: \(id)")
        }
        // Masks of another threshold would mix with these (eval scored the mixture): refused, with
        // the difference named; --overwrite redoes the folder; eval says what made the masks.
        let again = sweep + ["--cam-dir", "\(dir)/maps", "--write-masks", "\(dir)/sweep-masks", "--mask-thr", "0.5"]
        r = try ProcessHarness.epsDist(again)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("threshold: 0.3000 → 0.5000"), r.stderr)
        r = try ProcessHarness.epsDist(again + ["--overwrite"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try ProcessHarness.epsDist(["eval", "--gt-dir", gt, "--pred-dir", "\(dir)/sweep-masks", "--datalist", list])
        XCTAssertTrue(
            r.stdout.contains("masks: sweep --write-masks: ") && r.stdout.contains("threshold 0.5000"), r.stdout)
        // Masks written into the ground-truth folder would destroy it: refused before anything runs.
        r = try ProcessHarness.epsDist(sweep + ["--cam-dir", "\(dir)/maps", "--write-masks", gt])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("--write-masks is the --gt-dir folder"), r.stderr)
        // A dict holding a class the dataset does not have is refused, naming the file.
        let bad = CAMArrays(height: 2, width: 2, classIndices: [40], maps: [[0, 0, 0, 0]])
        try bad.encoded().write(to: URL(fileURLWithPath: "\(dir)/maps/\(ids[0]).npy"))
        r = try ProcessHarness.epsDist(sweep + ["--cam-dir", "\(dir)/maps"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(ids[0]).npy"), r.stderr)
        // A dict without any class (an image without labels) is all background; it trapped before.
        let empty = CAMArrays(height: 0, width: 0, classIndices: [], maps: [])
        try empty.encoded().write(to: URL(fileURLWithPath: "\(dir)/maps/\(ids[0]).npy"))
        r = try ProcessHarness.epsDist(sweep + ["--cam-dir", "\(dir)/maps"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testSweepAtInferThresholdEqualsInferReport() throws {
        let dir = ProcessHarness.temporaryDirectory("sweep")
        var r = try ProcessHarness.epsDist(SyntheticFixture.trainArguments(out: "\(dir)/run", iterations: 4))
        XCTAssertEqual(r.status, 0, r.stderr)
        let gt = "\(SyntheticFixture.root)/SegmentationClassAug"
        r = try ProcessHarness.epsDist([
            "infer", "--weights", "\(dir)/run/checkpoint.safetensors", "--data-root", SyntheticFixture.root,
            "--infer-list", SyntheticFixture.trainList, "--cam-png", "\(dir)/masks", "--scales", "1.0",
            "--cam-npy", "\(dir)/maps", "--gt-dir", gt, "--thr", "0.25",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/masks/report.json")))
            as! [String: Any]
        let inferMIoU = report["miou"] as! Double
        let sweep = [
            "sweep", "--cam-dir", "\(dir)/maps", "--gt-dir", gt, "--datalist", SyntheticFixture.trainList,
            "--thr-range", "0.05", "0.5", "0.05", "--json", "\(dir)/sweep.json",
        ]
        for ranks in [1, 2] {
            r = try ranks == 1 ? ProcessHarness.epsDist(sweep) : ProcessHarness.mpiEpsDist(ranks: ranks, sweep)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("best threshold"), r.stdout)
            let json =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/sweep.json")))
                as! [String: Any]
            let rows = json["thresholds"] as! [[String: Any]]
            XCTAssertEqual(rows.count, 10)
            let at = rows.first { abs(($0["thr"] as! Double) - 0.25) < 1e-6 }!
            XCTAssertEqual(at["miou"] as! Double, inferMIoU, accuracy: 1e-9, "sweep at 0.25 vs infer --thr 0.25")
            let best = json["best_miou"] as! Double
            XCTAssertGreaterThanOrEqual(best, rows.map { $0["miou"] as! Double }.max()! - 1e-12)
        }
        // Ground truth with a value that is no class (nor 255) is refused, naming the file.
        let ids0 = try Dataset.readList(SyntheticFixture.trainList)
        let badGT = "\(dir)/bad-gt"
        try FileManager.default.createDirectory(atPath: badGT, withIntermediateDirectories: true)
        for id in ids0 { try FileManager.default.copyItem(atPath: "\(gt)/\(id).png", toPath: "\(badGT)/\(id).png") }
        try ImageCodecs.writePNG(
            Image8(width: 4, height: 4, channels: 1, pixels: [UInt8](repeating: 77, count: 16)),
            to: "\(badGT)/\(ids0[1]).png")
        var badArguments = sweep
        badArguments[badArguments.firstIndex(of: gt)!] = badGT
        r = try ProcessHarness.epsDist(badArguments)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(ids0[1]).png") && r.stderr.contains("value 77"), r.stderr)
        // Maps of the wrong size for their ground truth are refused, naming the file.
        let ids = try Dataset.readList(SyntheticFixture.trainList)
        try Data([0x93] + Array("NUMPY".utf8)).write(to: URL(fileURLWithPath: "\(dir)/maps/\(ids[0]).npy"))
        r = try ProcessHarness.epsDist(sweep)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(ids[0]).npy"), r.stderr)
    }
}
