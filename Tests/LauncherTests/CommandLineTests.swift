import Data
import Engine
import Foundation
import Glibc
import XCTest

/// The CLI contract (docs/ARCHITECTURE.md, "Command line"): exit 2 with a message naming the problem for
/// bad usage and bad input; never a crash signal.
final class CommandLineTests: XCTestCase {
    func assertBadUsage(
        _ arguments: [String], mentions needle: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let result = try ProcessHarness.epsDist(arguments, timeout: 120)
        XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)", file: file, line: line)
        XCTAssertTrue(
            result.stderr.contains(needle), "expected '\(needle)' in: \(result.stderr)", file: file, line: line)
    }

    func testUnknownFlag() throws {
        try assertBadUsage(["train", "--no-such-flag"], mentions: "no-such-flag")
    }

    /// Before: "NSCocoaErrorDomain error 512".
    func testAnOutputFolderUnderAFileNamesTheFile() throws {
        let dir = ProcessHarness.temporaryDirectory("out-under-file")
        try "x".write(toFile: "\(dir)/afile", atomically: true, encoding: .utf8)
        try assertBadUsage(["synth", "--out", "\(dir)/afile/data"], mentions: "\(dir)/afile is a file, not a folder")
    }

    func testNonNumericFlagValue() throws {
        try assertBadUsage(
            SyntheticFixture.trainArguments(
                out: ProcessHarness.temporaryDirectory("nn"), extra: ["--max-iters", "many"]), mentions: "many")
    }

    /// A run whose loss becomes NaN or infinite stops with status 1 naming
    /// the step and what to try, and writes no checkpoint of the bad weights.
    func testDivergenceStopsTheRun() throws {
        let out = ProcessHarness.temporaryDirectory("diverge")
        let args = SyntheticFixture.trainArguments(out: out, extra: ["--checkpoint-every", "1"])
        var diverging = args
        diverging[diverging.firstIndex(of: "--lr")! + 1] = "1e30"
        let result = try ProcessHarness.epsDist(diverging, timeout: 120)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(
            result.stderr.contains("training diverged at step") && result.stderr.contains("--lr"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/checkpoint.safetensors"))
        for checkpoint in (try? FileManager.default.contentsOfDirectory(atPath: "\(out)/checkpoints")) ?? [] {
            let file = try SafeTensorsFile.read("\(out)/checkpoints/\(checkpoint)")
            XCTAssertTrue(
                file.tensors.values.allSatisfy { $0.values.allSatisfy(\.isFinite) },
                "\(checkpoint) holds non-finite weights")
        }
    }

    /// An update that overflows the weights while the loss was still finite
    /// stops the run before a checkpoint of them is written.
    func testOverflowingWeightsAreNeverCheckpointed() throws {
        let out = ProcessHarness.temporaryDirectory("overflow")
        var args = SyntheticFixture.trainArguments(out: out, extra: ["--checkpoint-every", "1"])
        args[args.firstIndex(of: "--lr")! + 1] = "3e38"
        let result = try ProcessHarness.epsDist(args, timeout: 120)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("the weights hold NaN or infinite values"), result.stderr)
        let written = (try? FileManager.default.contentsOfDirectory(atPath: "\(out)/checkpoints")) ?? []
        XCTAssertEqual(written.filter { $0.hasSuffix(".safetensors") }, [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/checkpoint.safetensors"))
    }

    /// --resume with nothing to resume is an error saying where it looked
    /// (a typo in --out must not restart a long run from step 0);
    /// --resume-auto starts fresh then.
    func testResumeWithoutCheckpointIsAnError() throws {
        let out = ProcessHarness.temporaryDirectory("resume-nothing") + "/typo"
        let args = SyntheticFixture.trainArguments(out: out, iterations: 2)
        try assertBadUsage(args + ["--resume"], mentions: "\(out)/checkpoints holds no step checkpoint")
        let auto = try ProcessHarness.epsDist(args + ["--resume-auto"], timeout: 120)
        XCTAssertEqual(auto.status, 0, auto.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/checkpoint.safetensors"))
        try assertBadUsage(args + ["--resume", "--resume-auto"], mentions: "not both")
    }

    /// Weights with a NaN (a diverged run's, a corrupt conversion) are refused
    /// by train --weights and infer --weights, naming the tensor.
    func testNonFiniteWeightsAreRefused() throws {
        let out = ProcessHarness.temporaryDirectory("finite-weights")
        let run = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(out: "\(out)/run", iterations: 2), timeout: 120)
        XCTAssertEqual(run.status, 0, run.stderr)
        var file = try SafeTensorsFile.read("\(out)/run/checkpoint.safetensors")
        file.tensors["conv3.weight"]![5] = .nan
        try file.write(to: "\(out)/nan.safetensors")
        let train = SyntheticFixture.trainArguments(
            out: "\(out)/again", extra: ["--weights", "\(out)/nan.safetensors"])
        try assertBadUsage(train, mentions: "conv3.weight: value nan at index 5 is not finite")
        let infer = [
            "infer", "--weights", "\(out)/nan.safetensors", "--data-root", SyntheticFixture.root,
            "--infer-list", SyntheticFixture.valList, "--cam-png", "\(out)/masks",
        ]
        try assertBadUsage(infer, mentions: "conv3.weight: value nan")
    }

    /// Infer flags out of range are refused before any work, naming the flag.
    func testInferFlagRanges() throws {
        let base = [
            "infer", "--weights", "w.safetensors", "--data-root", SyntheticFixture.root,
            "--infer-list", SyntheticFixture.valList, "--cam-png", ProcessHarness.temporaryDirectory("ranges"),
        ]
        try assertBadUsage(base + ["--thr", "nan"], mentions: "--thr")
        try assertBadUsage(base + ["--thr", "1.5"], mentions: "--thr")
        try assertBadUsage(base + ["--scales", "0", "1"], mentions: "--scales")
        try assertBadUsage(base + ["--scales", "inf"], mentions: "--scales")
        try assertBadUsage(base + ["--threads", "0"], mentions: "--threads")
    }

    /// Paths that name a directory, a fifo or an empty file where a file is
    /// expected (or a file where a folder is) give exit 2 naming the path:
    /// never a hang on a fifo, a trap, or a silent default.
    func testInputsThatAreNotFiles() throws {
        let dir = ProcessHarness.temporaryDirectory("not-files")
        let fifo = "\(dir)/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let empty = "\(dir)/empty"
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        let args = SyntheticFixture.trainArguments(out: "\(dir)/run")
        func with(_ flag: String, _ value: String) -> [String] {
            var a = args
            if let i = a.firstIndex(of: flag) { a[i + 1] = value } else { a += [flag, value] }
            return a
        }
        for (flag, path, needle) in [
            ("--train-list", dir, "is a directory"), ("--train-list", fifo, "not a regular file"),
            ("--train-list", empty, "names no image id"), ("--labels", dir, "is a directory"),
            ("--labels", fifo, "not a regular file"), ("--labels", empty, "is empty"),
            ("--config", dir, "is a directory"), ("--config", fifo, "not a regular file"),
            ("--weights", dir, "is a directory"), ("--weights", fifo, "not a regular file"),
            ("--data-root", empty, "is a file, not the dataset folder"),
            ("--saliency-root", empty, "is a file, not the saliency folder"),
        ] {
            let result = try ProcessHarness.epsDist(with(flag, path), timeout: 30)
            XCTAssertEqual(result.status, 2, "\(flag) \(path): \(result.stderr)")
            XCTAssertTrue(
                result.stderr.contains(path) && result.stderr.contains(needle),
                "\(flag) \(path): expected '\(needle)' in \(result.stderr)")
        }
        let eval = try ProcessHarness.epsDist(
            ["eval", "--gt-dir", dir, "--pred-dir", dir, "--datalist", fifo], timeout: 30)
        XCTAssertEqual(eval.status, 2, eval.stderr)
        XCTAssertTrue(eval.stderr.contains(fifo), eval.stderr)
    }

    /// A batch and crop whose activations cannot fit the node are refused
    /// before training, naming the figures (before: an allocation trap).
    func testBatchThatCannotFitMemoryIsRefused() throws {
        let out = ProcessHarness.temporaryDirectory("too-big")
        try assertBadUsage(
            SyntheticFixture.trainArguments(out: out, extra: ["--crop-size", "8000"]), mentions: "--crop-size 8000 need"
        )
        try assertBadUsage(["bench", "--arch", "resnet38", "--crop-size", "6000"], mentions: "GB")
        try assertBadUsage(["bench", "--arch", "deeplabv2-resnet101", "--crop-size", "6000"], mentions: "GB")
    }

    /// bench's DeepLab-v2 step takes label maps of 8-bit classes and saves
    /// no classifier.
    func testBenchRefusesWhatDeepLabCannotDo() throws {
        try assertBadUsage(["bench", "--arch", "deeplabv2-tiny", "--num-classes", "300"], mentions: "1…255")
        try assertBadUsage(
            ["bench", "--arch", "deeplabv2-tiny", "--save-initial", "/tmp/never-written.safetensors"],
            mentions: "--save-initial")
        try assertBadUsage(["bench", "--arch", "deeplabv3"], mentions: "deeplabv2-resnet101")
    }

    /// Outputs that would destroy inputs are refused: infer masks into the
    /// ground-truth folder, grey and colour masks into one folder, synth into
    /// a real dataset (it rewrites the list files).
    func testOutputsThatWouldOverwriteInputsAreRefused() throws {
        let gt = "\(SyntheticFixture.root)/SegmentationClassAug"
        let infer = [
            "infer", "--weights", "w.safetensors", "--data-root", SyntheticFixture.root,
            "--infer-list", SyntheticFixture.valList, "--gt-dir", gt,
        ]
        try assertBadUsage(infer + ["--cam-png", gt + "/", "--overwrite"], mentions: "is the --gt-dir folder")
        let masks = ProcessHarness.temporaryDirectory("same-out")
        try assertBadUsage(infer + ["--cam-png", masks, "--color-png", masks], mentions: "are one folder")
        let dataset = ProcessHarness.temporaryDirectory("real-dataset")
        try "2007_000032\n".write(toFile: "\(dataset)/train.txt", atomically: true, encoding: .utf8)
        try assertBadUsage(
            ["synth", "--out", dataset, "--train", "2", "--val", "0"], mentions: "not a synthetic dataset")
        XCTAssertEqual(try String(contentsOfFile: "\(dataset)/train.txt", encoding: .utf8), "2007_000032\n")
        // An earlier synth output may be written again.
        let synthetic = ProcessHarness.temporaryDirectory("synth-again")
        for seed in ["1", "2"] {
            let r = try ProcessHarness.epsDist([
                "synth", "--out", synthetic, "--train", "2", "--val", "0", "--seed", seed,
            ])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
    }

    /// The official names and habits: `--dataset voc12`; `--data-root` given the
    /// image folder (the official --data_root) is one line naming the flags to use.
    func testOfficialDatasetNameAndImageFolderAsDataRoot() throws {
        let root = SyntheticFixture.root
        let voc12 = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(
                out: ProcessHarness.temporaryDirectory("voc12"), iterations: 2, extra: ["--dataset", "voc12"]))
        XCTAssertEqual(voc12.status, 0, voc12.stderr)
        var official = SyntheticFixture.trainArguments(out: ProcessHarness.temporaryDirectory("image-folder"))
        official[official.firstIndex(of: "--data-root")! + 1] = "\(root)/JPEGImages"
        let result = try ProcessHarness.epsDist(official, timeout: 120)
        XCTAssertEqual(result.status, 2, result.stderr)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertTrue(
            result.stderr.contains("looks like an image folder")
                && result.stderr.contains("--img-dir \(root)/JPEGImages --data-root \(root)"), result.stderr)
        // The suggested flags work.
        let suggested = try ProcessHarness.epsDist([
            "check-data", "--img-dir", "\(root)/JPEGImages", "--data-root", root, "--train-list",
            SyntheticFixture.trainList, "--saliency-root", "\(root)/saliency", "--arch", "tiny",
        ])
        XCTAssertEqual(suggested.status, 0, suggested.stderr)
    }

    /// check-data validates without a run directory and writes nothing.
    func testCheckDataNeedsNoOut() throws {
        let root = SyntheticFixture.root
        let result = try ProcessHarness.epsDist([
            "check-data", "--dataset", "voc12", "--data-root", root, "--train-list", SyntheticFixture.trainList,
            "--saliency-root", "\(root)/saliency", "--arch", "tiny",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("images: 48 listed, 48 usable, 0 with problems"), result.stdout)
    }

    func testMissingDatasetFolder() throws {
        var args = SyntheticFixture.trainArguments(out: ProcessHarness.temporaryDirectory("missing-root"))
        args[args.firstIndex(of: "--data-root")! + 1] = "/nonexistent/VOC2012"
        try assertBadUsage(args, mentions: "/nonexistent/VOC2012")
    }

    func testMissingListFile() throws {
        var args = SyntheticFixture.trainArguments(out: ProcessHarness.temporaryDirectory("missing-list"))
        args[args.firstIndex(of: "--train-list")! + 1] = "/nonexistent/train.txt"
        try assertBadUsage(args, mentions: "/nonexistent/train.txt")
    }

    func testMissingSaliencyFolder() throws {
        var args = SyntheticFixture.trainArguments(out: ProcessHarness.temporaryDirectory("missing-sal"))
        args[args.firstIndex(of: "--saliency-root")! + 1] = "/nonexistent/sal"
        try assertBadUsage(args, mentions: "/nonexistent/sal")
    }

    /// Broken samples are all reported together, each with its file.
    func testBrokenSamplesAreListedTogether() throws {
        let root = ProcessHarness.temporaryDirectory("broken")
        try FileManager.default.removeItem(atPath: root)
        try FileManager.default.copyItem(atPath: SyntheticFixture.root, toPath: root)
        let ids = try String(contentsOfFile: "\(root)/ImageSets/Segmentation/train.txt", encoding: .utf8).split(
            separator: "\n"
        ).map(String.init)
        try Data("not a jpeg".utf8).write(to: URL(fileURLWithPath: "\(root)/JPEGImages/\(ids[0]).jpg"))
        try FileManager.default.removeItem(atPath: "\(root)/saliency/\(ids[1]).png")
        try "<annotation><object><name>unicorn</name></object></annotation>".write(
            toFile: "\(root)/Annotations/\(ids[2]).xml", atomically: true, encoding: .utf8)
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: "\(root)/JPEGImages/\(ids[3]).jpg"))
        try jpeg.prefix(jpeg.count / 2).write(to: URL(fileURLWithPath: "\(root)/JPEGImages/\(ids[3]).jpg"))
        try ImageCodecs.writePNG(Image8(width: 7, height: 5, channels: 1), to: "\(root)/saliency/\(ids[4]).png")
        try FileManager.default.removeItem(atPath: "\(root)/JPEGImages/\(ids[5]).jpg")
        var args = SyntheticFixture.trainArguments(out: ProcessHarness.temporaryDirectory("broken-run"))
        args[args.firstIndex(of: "--data-root")! + 1] = root
        args[args.firstIndex(of: "--saliency-root")! + 1] = "\(root)/saliency"
        let result = try ProcessHarness.epsDist(args, timeout: 120)
        XCTAssertEqual(result.status, 2, result.stderr)
        for needle in [
            "\(ids[0]).jpg", "\(ids[1]).png", "unicorn", "\(ids[3]).jpg", "\(ids[4]).png", "7×5", "\(ids[5]).jpg",
            "6 problems",
        ] {
            XCTAssertTrue(result.stderr.contains(needle), "expected '\(needle)' in: \(result.stderr)")
        }
        // With --skip-bad the run goes on without them.
        let skipped = try ProcessHarness.epsDist(args + ["--skip-bad", "--max-iters", "2"], timeout: 300)
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
    }

    func testCorruptLabelsFile() throws {
        let dir = ProcessHarness.temporaryDirectory("corrupt-labels")
        try Data([0x93] + Array("NUMPY".utf8) + [1, 0, 4, 0] + Array("junk".utf8)).write(
            to: URL(fileURLWithPath: "\(dir)/cls_labels.npy"))
        try assertBadUsage(
            SyntheticFixture.trainArguments(out: "\(dir)/run", extra: ["--labels", "\(dir)/cls_labels.npy"]),
            mentions: "cls_labels.npy")
    }

    func testHelpExitsZero() throws {
        let result = try ProcessHarness.epsDist(["train", "--help"], timeout: 60)
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("--saliency-root"))
    }
}
