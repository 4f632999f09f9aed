import Data
import Engine
import Foundation
import Launcher
import XCTest

/// `eps-dist infer` beyond the happy path: images without labels, bad
/// weights and folders, interruption and resume.
final class InferenceTests: XCTestCase {
    nonisolated(unsafe) static var trainedRun: String?

    /// A short training run shared by these tests.
    func checkpoint() throws -> String {
        if let run = Self.trainedRun { return "\(run)/checkpoint.safetensors" }
        let run = ProcessHarness.temporaryDirectory("infer-run")
        let r = try ProcessHarness.epsDist(SyntheticFixture.trainArguments(out: run, iterations: 4))
        XCTAssertEqual(r.status, 0, r.stderr)
        Self.trainedRun = run
        return "\(run)/checkpoint.safetensors"
    }

    func inferArguments(weights: String, out: String, extra: [String] = []) -> [String] {
        [
            "infer", "--weights", weights, "--data-root", SyntheticFixture.root, "--infer-list",
            SyntheticFixture.trainList,
            "--cam-png", out, "--scales", "1.0",
        ] + extra
    }

    /// Without --scales, infer reads the net at its training resolution: the
    /// reference's 0.5 1 1.5 2 times the checkpoint's mean training long side
    /// (56–96 here) over the reference's 384; provenance records what ran.
    func testDefaultScalesFollowTheTrainingResolution() throws {
        XCTAssertEqual(InferOptions.defaultScales(trainingResize: [128, 192]), [0.21, 0.42, 0.63, 0.83])
        XCTAssertEqual(InferOptions.defaultScales(trainingResize: [256, 512]), [0.5, 1.0, 1.5, 2.0])
        XCTAssertEqual(InferOptions.defaultScales(trainingResize: nil), [0.5, 1.0, 1.5, 2.0])
        let weights = try checkpoint()
        let out = ProcessHarness.temporaryDirectory("default-scales")
        var arguments = inferArguments(weights: weights, out: out)
        arguments.removeLast(2)  // no --scales
        let r = try ProcessHarness.epsDist(arguments)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue((r.stdout + r.stderr).contains("scales 0.1 0.2 0.3 0.4"), r.stdout + r.stderr)
        let provenance = try String(contentsOfFile: "\(out)/provenance.json", encoding: .utf8)
        XCTAssertTrue(provenance.contains("0.3"), provenance)
    }

    func testImageWithoutLabelsGetsABackgroundMaskAndAWarning() throws {
        let weights = try checkpoint()
        let ids = try Dataset.readList(SyntheticFixture.trainList)
        var text = "\(ids[0])\n"
        for id in ids.dropFirst() { text += "\(id) 0\n" }
        let dir = ProcessHarness.temporaryDirectory("no-labels")
        try text.write(toFile: "\(dir)/labels.txt", atomically: true, encoding: .utf8)
        let out = "\(dir)/masks"
        let r = try ProcessHarness.epsDist(
            inferArguments(weights: weights, out: out, extra: ["--labels", "\(dir)/labels.txt"]))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("no label"), r.stderr)
        let mask = try ImageCodecs.readPNG("\(out)/\(ids[0]).png", indices: true)
        XCTAssertTrue(mask.pixels.allSatisfy { $0 == 0 })
        let manifest = try String(contentsOfFile: "\(out)/manifest.json", encoding: .utf8)
        XCTAssertTrue(manifest.contains("no-labels"))
    }

    func testBadWeightsAndFoldersExitTwo() throws {
        let weights = try checkpoint()
        let out = ProcessHarness.temporaryDirectory("bad-infer")
        var r = try ProcessHarness.epsDist(inferArguments(weights: "/nonexistent/w.safetensors", out: out))
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("/nonexistent/w.safetensors"), r.stderr)
        // A checkpoint of the tiny net read as ResNet-38.
        r = try ProcessHarness.epsDist(inferArguments(weights: weights, out: out, extra: ["--arch", "resnet38"]))
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("architecture"), r.stderr)
        // Another --width-divisor than the training's: one line saying so, not every mismatched shape.
        r = try ProcessHarness.epsDist(inferArguments(weights: weights, out: out, extra: ["--width-divisor", "2"]))
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("was trained with --width-divisor 1; pass --width-divisor 1"), r.stderr)
        // A 20-class checkpoint used for 80 COCO classes.
        let coco = ProcessHarness.temporaryDirectory("bad-infer-coco")
        try "x 1\n".write(toFile: "\(coco)/labels.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(coco)/train2014", withIntermediateDirectories: true)
        r = try ProcessHarness.epsDist([
            "infer", "--weights", weights, "--dataset", "coco", "--data-root", coco,
            "--infer-list", "\(coco)/labels.txt", "--labels", "\(coco)/labels.txt", "--cam-png", out,
        ])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("classes"), r.stderr)
        // A truncated weight file.
        let data = try Data(contentsOf: URL(fileURLWithPath: weights))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: "\(out)/cut.safetensors"))
        r = try ProcessHarness.epsDist(inferArguments(weights: "\(out)/cut.safetensors", out: out))
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("cut.safetensors"), r.stderr)
        // Weights that blew up (finite, but the maps overflow to NaN): refused, not all-background masks.
        var file = try SafeTensorsFile.read(weights)
        for (name, t) in file.tensors where name.hasSuffix("weight") {
            file.tensors[name] = Tensor(shape: t.shape, data: t.values.map { $0 * 1e30 })
        }
        try file.write(to: "\(out)/exploded.safetensors")
        r = try ProcessHarness.epsDist(
            inferArguments(weights: "\(out)/exploded.safetensors", out: ProcessHarness.temporaryDirectory("nan-out")))
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("the weights are diverged or damaged"), r.stderr)
        // RGB ground truth is refused with the file's name, not a crash.
        let gt = ProcessHarness.temporaryDirectory("rgb-gt")
        for id in try Dataset.readList(SyntheticFixture.trainList) {
            try ImageCodecs.writePNG(Image8(width: 4, height: 4, channels: 3), to: "\(gt)/\(id).png")
        }
        r = try ProcessHarness.epsDist(
            inferArguments(
                weights: weights, out: ProcessHarness.temporaryDirectory("rgb-out"), extra: ["--gt-dir", gt]))
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("RGB colour-coded mask"), r.stderr)
        // An output folder that cannot be created (below a regular file).
        r = try ProcessHarness.epsDist(inferArguments(weights: weights, out: "\(out)/cut.safetensors/masks"))
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("cut.safetensors/masks"), r.stderr)
    }

    /// Kill infer half-way: every mask on disk decodes; a re-run finishes
    /// only the rest and the manifest lists every id once.
    func testInterruptedInferResumes() throws {
        let weights = try checkpoint()
        let out = ProcessHarness.temporaryDirectory("interrupted")
        let ids = try Dataset.readList(SyntheticFixture.trainList)
        let running = try RunningProcess(
            ProcessHarness.binary,
            inferArguments(
                weights: weights, out: out, extra: ["--scales", "0.5", "1.0", "1.5", "2.0", "--progress-every", "0"]),
            environment: ProcessInfo.processInfo.environment)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let n = ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).filter { $0.hasSuffix(".png") }
                .count
            if n >= 5 { break }
            usleep(20_000)
        }
        kill(running.process.processIdentifier, SIGKILL)
        _ = running.wait(timeout: 10)
        let before = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".png") }
        XCTAssertLessThan(before.count, ids.count, "the run finished before it could be interrupted")
        for name in before { XCTAssertNoThrow(try ImageCodecs.readPNG("\(out)/\(name)", indices: true), name) }
        // The manifest was kept up to date while the run went on: the killed run's shows what was done.
        let partial =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/manifest.json")))
            as! [String: Any]
        XCTAssertEqual(partial["complete"] as? Bool, false)
        XCTAssertEqual(partial["listed"] as? Int, ids.count)
        let recorded = (partial["images"] as! [[String: Any]]).map { $0["id"] as! String }
        XCTAssertGreaterThanOrEqual(recorded.count, 1)
        XCTAssertTrue(Set(recorded).isSubset(of: Set(before.map { String($0.dropLast(4)) })), "\(recorded)")
        let r = try ProcessHarness.epsDist(
            inferArguments(weights: weights, out: out, extra: ["--scales", "0.5", "1.0", "1.5", "2.0"]))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(
            r.stdout.contains("wrote \(ids.count - before.count) mask(s), \(before.count) already present"), r.stdout)
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/manifest.json")))
            as! [String: Any]
        XCTAssertEqual((manifest["images"] as! [[String: Any]]).map { $0["id"] as! String }, ids)
        XCTAssertEqual(manifest["complete"] as? Bool, true)
    }
}
