import Foundation
import XCTest

/// Train → infer (1 and 2 ranks) → eval on the synthetic fixture.
final class EndToEndTests: XCTestCase {
    func testTrainInferEvalAgreeAndShardsMatch() throws {
        let run = ProcessHarness.temporaryDirectory("e2e-run")
        let trained = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(out: run, iterations: 30), timeout: 600)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        for file in ["checkpoint.safetensors", "config.yaml", "metrics.jsonl", "logs/rank-0.log"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(run)/\(file)"), "missing \(file)")
        }
        let metrics = try String(contentsOfFile: "\(run)/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThan(metrics.count, 3)
        let last = try JSONSerialization.jsonObject(with: Data(metrics.last!.utf8)) as! [String: Any]
        XCTAssertEqual(last["step"] as? Int, 30)
        for key in ["loss", "loss_cls", "loss_sal", "lr", "images_per_s", "time"] { XCTAssertNotNil(last[key], key) }

        let root = SyntheticFixture.root
        func infer(_ ranks: Int, _ out: String, extra: [String] = []) throws -> ProcessHarness.Output {
            try ProcessHarness.mpiEpsDist(
                ranks: ranks,
                [
                    "infer", "--weights", "\(run)/checkpoint.safetensors", "--data-root", root,
                    "--infer-list", SyntheticFixture.trainList, "--cam-png", out, "--gt-dir",
                    "\(root)/SegmentationClassAug",
                    "--scales", "0.5", "1.0",
                ] + extra, timeout: 600)
        }
        let one = ProcessHarness.temporaryDirectory("e2e-masks-1")
        let two = ProcessHarness.temporaryDirectory("e2e-masks-2")
        let r1 = try infer(1, one)
        let r2 = try infer(2, two, extra: ["--cam-npy", ProcessHarness.temporaryDirectory("e2e-npy")])
        XCTAssertEqual(r1.status, 0, r1.stderr)
        XCTAssertEqual(r2.status, 0, r2.stderr)
        let ids = try String(contentsOfFile: SyntheticFixture.trainList, encoding: .utf8).split(separator: "\n").map(
            String.init)
        for id in ids {
            let a = try Data(contentsOf: URL(fileURLWithPath: "\(one)/\(id).png"))
            let b = try Data(contentsOf: URL(fileURLWithPath: "\(two)/\(id).png"))
            XCTAssertEqual(a, b, "\(id).png differs between 1 and 2 ranks")
        }
        // The manifest lists every id exactly once, with both shards used.
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(two)/manifest.json")))
            as! [String: Any]
        let entries = manifest["images"] as! [[String: Any]]
        XCTAssertEqual(entries.map { $0["id"] as! String }, ids)
        XCTAssertEqual(Set(entries.map { $0["shard"] as! Int }), [0, 1])

        // eval of the same masks agrees with infer's report.
        let evalJSON = ProcessHarness.temporaryDirectory("e2e-eval") + "/eval.json"
        let evaluated = try ProcessHarness.epsDist([
            "eval", "--gt-dir", "\(root)/SegmentationClassAug", "--pred-dir", two,
            "--datalist", SyntheticFixture.trainList, "--json", evalJSON,
        ])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        let fromEval =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: evalJSON))) as! [String: Any]
        let fromInfer =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(two)/report.json")))
            as! [String: Any]
        let miouEval = try XCTUnwrap(fromEval["miou"] as? Double)
        let miouInfer = try XCTUnwrap(fromInfer["miou"] as? Double)
        XCTAssertEqual(miouEval, miouInfer, accuracy: 1e-6)

        // Re-running infer after losing some masks writes only those; no temp file remains.
        for id in ids.prefix(3) { try FileManager.default.removeItem(atPath: "\(two)/\(id).png") }
        let again = try infer(2, two)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("wrote 3 mask(s)"), again.stdout)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: two).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [])
    }
}
