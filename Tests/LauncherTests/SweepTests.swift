import Data
import Foundation
import XCTest

/// `eps-dist sweep`: the threshold sweep of saved maps agrees with infer's
/// own evaluation at infer's threshold, on one rank and sharded over two.
final class SweepTests: XCTestCase {
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
