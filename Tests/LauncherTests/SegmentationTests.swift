import Data
import Engine
import Foundation
import Support
import XCTest

/// Stage 2 end to end on the synthetic fixture: `seg-train` reaches the same
/// weights on 1, 2 and 4 ranks (synchronised BatchNorm, the multi-scale loss's
/// global-batch denominators, gradient accumulation), resumes exactly on
/// another rank count, and `seg-infer` writes, scores and reuses its masks.
final class SegmentationTests: XCTestCase {
    static var gtDir: String { "\(SyntheticFixture.root)/SegmentationClassAug" }

    /// A short narrow deeplabv2-tiny run on the fixture's ground-truth masks.
    static func trainArguments(out: String, iterations: Int = 4, extra: [String] = []) -> [String] {
        [
            "seg-train", "--data-root", SyntheticFixture.root, "--train-list", SyntheticFixture.trainList,
            "--label-dir", gtDir, "--arch", "deeplabv2-tiny", "--width-divisor", "4", "--batch-size", "4",
            "--iter-size", "2", "--crop-size", "57", "--max-iters", "\(iterations)", "--log-every", "2", "--lr",
            "0.001", "--seed", "3", "--out", out,
        ] + extra
    }

    /// With SGD: the tiny preset's Adam divides each step by √v, so a BatchNorm
    /// bias whose gradient is a near-cancelling sum takes lr-sized steps whose
    /// size depends on float rounding (measured: -n 2 differs from -n 1 by 6e-3
    /// of such a bias after 4 updates, -n 4 by 1e-6); SGD keeps rounding as rounding.
    /// Even so, rounding grows about tenfold per update through the trained
    /// BatchNorms (an EPYC without AVX-512, -n 1 vs -n 4: 2.0e-7, 1.6e-6, 1.6e-4,
    /// 9.5e-3 after updates 1–4; -n 2: 2.3e-7, 1.7e-6, 4.4e-6, 7.6e-4), so 2
    /// updates (the second with momentum) are compared; an unsynchronised
    /// statistic or a wrong denominator parts them by percents at the first.
    func testOneTwoFourRanksReachTheSameWeights() throws {
        var checkpoints: [Int: SafeTensorsFile] = [:]
        for ranks in [1, 2, 4] {
            let out = ProcessHarness.temporaryDirectory("seg-equivalence-\(ranks)")
            let r = try ProcessHarness.mpiEpsDist(
                ranks: ranks,
                Self.trainArguments(out: out, iterations: 2, extra: ["--optimizer", "sgd", "--lr", "0.01"]))
            XCTAssertEqual(r.status, 0, "mpirun -n \(ranks):\n\(r.stdout)\n\(r.stderr)")
            checkpoints[ranks] = try SafeTensorsFile.read("\(out)/checkpoint.safetensors")
        }
        let reference = try XCTUnwrap(checkpoints[1])
        for ranks in [2, 4] {
            let d = reference.worstRelativeDifference(
                to: try XCTUnwrap(checkpoints[ranks]), comparing: { !$0.hasSuffix("num_batches_tracked") })
            print("seg-train equivalence: -n 1 vs -n \(ranks): max relative difference \(d)")
            XCTAssertLessThanOrEqual(d, 1e-4, "-n \(ranks) diverged from -n 1")
        }
        // Trained, not the initialisation; the statistics of the global batch moved.
        let initial = DeepLabV2Model(
            spec: DeepLabV2Spec.tiny.narrowed(by: 4), numClasses: 21, batchNorm: .trainable)
        initial.initialize(seed: 3)
        let name = "base.layer3.block1.reduce.conv.weight"
        XCTAssertGreaterThan(reference.tensors[name]!.maxAbsDifference(initial.store.tensor(name)), 1e-5)
        XCTAssertGreaterThan(reference.tensors["base.layer2.block1.reduce.bn.running_mean"]!.maxAbs, 1e-4)
        XCTAssertEqual(reference.metadata["arch"], "deeplabv2-tiny")
    }

    /// Stopped after update 2 on 2 ranks (exit 3, step checkpoint), resumed on
    /// 1 rank: the final weights are those of the straight 2-rank run.
    func testStopAndResumeOnAnotherRankCountIsExact() throws {
        let straight = ProcessHarness.temporaryDirectory("seg-straight")
        let a = try ProcessHarness.mpiEpsDist(ranks: 2, Self.trainArguments(out: straight))
        XCTAssertEqual(a.status, 0, a.stderr)
        let split = ProcessHarness.temporaryDirectory("seg-split")
        let first = try ProcessHarness.mpiEpsDist(
            ranks: 2, Self.trainArguments(out: split, extra: ["--checkpoint-every", "2", "--stop-at-step", "2"]))
        XCTAssertEqual(first.status, 3, first.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(split)/checkpoints/step-000002.safetensors"))
        let second = try ProcessHarness.mpiEpsDist(
            ranks: 1, Self.trainArguments(out: split, extra: ["--checkpoint-every", "2", "--resume"]))
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("resuming from"), second.stdout)
        let d = try SafeTensorsFile.read("\(straight)/checkpoint.safetensors").worstRelativeDifference(
            to: try SafeTensorsFile.read("\(split)/checkpoint.safetensors"),
            comparing: { !$0.hasSuffix("num_batches_tracked") })
        XCTAssertLessThanOrEqual(d, 1e-5, "resumed run differs from the straight one")
        // The metrics have the loss only (no EPS parts), one line per logged step
        // (1 and 2, then 3 as the resumed session's first, and 4).
        let metrics = try String(contentsOfFile: "\(split)/metrics.jsonl", encoding: .utf8)
        XCTAssertEqual(metrics.split(separator: "\n").count, 4, metrics)
        XCTAssertFalse(metrics.contains("loss_cls"), metrics)
    }

    func testSegInferScoresReusesAndRefusesOtherSettings() throws {
        let run = ProcessHarness.temporaryDirectory("seg-infer-run")
        let trained = try ProcessHarness.epsDist(Self.trainArguments(out: run, iterations: 2))
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let out = ProcessHarness.temporaryDirectory("seg-infer-out")
        let colour = ProcessHarness.temporaryDirectory("seg-infer-colour")
        func infer(_ extra: [String], ranks: Int = 2) throws -> ProcessHarness.Output {
            try ProcessHarness.mpiEpsDist(
                ranks: ranks,
                [
                    "seg-infer", "--weights", "\(run)/checkpoint.safetensors", "--data-root", SyntheticFixture.root,
                    "--infer-list", SyntheticFixture.valList, "--out", out, "--color-png", colour, "--gt-dir",
                    Self.gtDir,
                ] + extra)
        }
        let first = try infer([])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("mIoU"), first.stdout)
        let ids = try Dataset.readList(SyntheticFixture.valList)
        for id in ids {
            let mask = try MaskFiles.read("\(out)/\(id).png")
            let size = try ImageCodecs.jpegSize("\(SyntheticFixture.root)/JPEGImages/\(id).jpg")
            XCTAssertEqual([mask.width, mask.height], [size.width, size.height])
            XCTAssertTrue(mask.pixels.allSatisfy { $0 <= 20 })
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(colour)/\(id).png"))
        }
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(out)/report.json")))
        XCTAssertNotNil((report as? [String: Any])?["miou"] ?? (report as? [String: Any])?["mIoU"], "\(report)")
        // eval names what made the masks.
        let scored = try ProcessHarness.epsDist([
            "eval", "--gt-dir", Self.gtDir, "--pred-dir", out, "--datalist", SyntheticFixture.valList,
        ])
        XCTAssertEqual(scored.status, 0, scored.stderr)
        XCTAssertTrue(scored.stdout.contains("masks: seg-infer: "), scored.stdout)
        XCTAssertFalse(scored.stderr.contains("warning"), scored.stderr)
        // The same settings on 1 rank: every mask reused.
        let again = try infer([], ranks: 1)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("0 mask(s), \(ids.count) already present"), again.stdout)
        // Other settings: refused, nothing written; --overwrite redoes the folder with the flip and the CRF.
        let other = try infer(["--flip"])
        XCTAssertEqual(other.status, 2, other.stderr)
        XCTAssertTrue(other.stderr.contains("flip: false → true"), other.stderr)
        let redone = try infer(["--flip", "--crf", "--scales", "0.75", "1", "--overwrite"])
        XCTAssertEqual(redone.status, 0, redone.stderr)
        XCTAssertTrue(redone.stdout.contains("wrote \(ids.count) mask(s)"), redone.stdout)
    }

    func testBadInputsAreRefusedWithTheFix() throws {
        let out = ProcessHarness.temporaryDirectory("seg-bad")
        // No label maps given.
        var args = Self.trainArguments(out: out)
        let i = args.firstIndex(of: "--label-dir")!
        args.removeSubrange(i...(i + 1))
        var r = try ProcessHarness.epsDist(args)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("--label-dir"), r.stderr)
        // Colour-coded masks: every one named.
        let rgb = ProcessHarness.temporaryDirectory("seg-rgb-labels")
        for id in try Dataset.readList(SyntheticFixture.trainList) {
            let size = try ImageCodecs.jpegSize("\(SyntheticFixture.root)/JPEGImages/\(id).jpg")
            try ImageCodecs.writePNG(
                Image8(width: size.width, height: size.height, channels: 3), to: "\(rgb)/\(id).png")
        }
        args = Self.trainArguments(out: ProcessHarness.temporaryDirectory("seg-bad-rgb"))
        args[args.firstIndex(of: Self.gtDir)!] = rgb
        r = try ProcessHarness.epsDist(args)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("colour-coded"), r.stderr)
        // Maps that are all 255 (ignore) would train at loss 0: refused over 2 ranks' shares, but one
        // labelled map, in rank 1's share only, is enough to train.
        let ignored = ProcessHarness.temporaryDirectory("seg-all-ignore")
        let ids = try Dataset.readList(SyntheticFixture.trainList)
        for id in ids {
            let size = try ImageCodecs.jpegSize("\(SyntheticFixture.root)/JPEGImages/\(id).jpg")
            try ImageCodecs.writePNG(
                Image8(
                    width: size.width, height: size.height, channels: 1,
                    pixels: .init(
                        repeating: 255, count: size.width * size.height)), to: "\(ignored)/\(id).png")
        }
        args = Self.trainArguments(out: ProcessHarness.temporaryDirectory("seg-bad-ignore"))
        args[args.firstIndex(of: Self.gtDir)!] = ignored
        r = try ProcessHarness.mpiEpsDist(ranks: 2, args, timeout: 300)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("every label map is all 255"), r.stderr)
        XCTAssertTrue(r.stderr.contains(ignored), r.stderr)
        try FileManager.default.removeItem(atPath: "\(ignored)/\(ids[1]).png")
        try FileManager.default.copyItem(atPath: "\(Self.gtDir)/\(ids[1]).png", toPath: "\(ignored)/\(ids[1]).png")
        args = Self.trainArguments(out: ProcessHarness.temporaryDirectory("seg-one-labelled"))
        args[args.firstIndex(of: Self.gtDir)!] = ignored
        r = try ProcessHarness.mpiEpsDist(ranks: 2, args, timeout: 300)
        XCTAssertEqual(r.status, 0, r.stderr)
        // A classifier checkpoint is not a segmentation network.
        let eps = ProcessHarness.temporaryDirectory("seg-bad-eps")
        XCTAssertEqual(try ProcessHarness.epsDist(SyntheticFixture.trainArguments(out: eps, iterations: 1)).status, 0)
        r = try ProcessHarness.epsDist([
            "seg-infer", "--weights", "\(eps)/checkpoint.safetensors", "--data-root", SyntheticFixture.root,
            "--infer-list", SyntheticFixture.valList, "--out", ProcessHarness.temporaryDirectory("seg-bad-out"),
        ])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("--arch"), r.stderr)
    }
}
