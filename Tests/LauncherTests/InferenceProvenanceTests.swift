import Data
import Engine
import Foundation
import XCTest

/// Outputs record what made them and are never reused when the settings
/// differ: a re-run into the same folder with other weights or another
/// --thr is refused before anything is written (before: "wrote 0 mask(s)"
/// and the old masks' score); --overwrite redoes the folder; a stale mask of
/// another size is made again.
final class InferenceProvenanceTests: XCTestCase {
    nonisolated(unsafe) static var runs: [Int: String] = [:]

    /// A short training run (`seed` picks different weights).
    func checkpoint(seed: Int) throws -> String {
        if let run = Self.runs[seed] { return "\(run)/checkpoint.safetensors" }
        let run = ProcessHarness.temporaryDirectory("provenance-run-\(seed)")
        var args = SyntheticFixture.trainArguments(out: run, iterations: 3)
        args[args.firstIndex(of: "--seed")! + 1] = "\(seed)"
        let r = try ProcessHarness.epsDist(args)
        XCTAssertEqual(r.status, 0, r.stderr)
        Self.runs[seed] = run
        return "\(run)/checkpoint.safetensors"
    }

    func infer(weights: String, out: String, extra: [String] = []) throws -> ProcessHarness.Output {
        try ProcessHarness.epsDist(
            [
                "infer", "--weights", weights, "--data-root", SyntheticFixture.root, "--infer-list",
                SyntheticFixture.valList, "--cam-png", out, "--scales", "1.0", "--gt-dir",
                "\(SyntheticFixture.root)/SegmentationClassAug",
            ] + extra)
    }

    func modificationDates(_ dir: String) throws -> [String: Date] {
        var out: [String: Date] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[name] = try FileManager.default.attributesOfItem(atPath: "\(dir)/\(name)")[.modificationDate] as? Date
        }
        return out
    }

    func testOtherSettingsAreRefusedAndOverwriteRedoes() throws {
        let weights = try checkpoint(seed: 5)
        let out = ProcessHarness.temporaryDirectory("provenance")
        let first = try infer(weights: weights, out: out)
        XCTAssertEqual(first.status, 0, first.stderr)
        let provenance = try String(contentsOfFile: "\(out)/provenance.json", encoding: .utf8)
        XCTAssertTrue(provenance.contains("\"thr\"") && provenance.contains("weights_hash"), provenance)
        XCTAssertTrue(first.stdout.contains("masks: eps-dist"), first.stdout)

        // The same settings: every mask is reused.
        let same = try infer(weights: weights, out: out)
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertTrue(same.stdout.contains("wrote 0 mask(s)"), same.stdout)

        // Another threshold, other weights: refused, nothing touched.
        let before = try modificationDates(out)
        let thr = try infer(weights: weights, out: out, extra: ["--thr", "0.5"])
        XCTAssertEqual(thr.status, 2, thr.stderr)
        XCTAssertTrue(thr.stderr.contains("thr: 0.2 → 0.5") && thr.stderr.contains("--overwrite"), thr.stderr)
        let other = try infer(weights: try checkpoint(seed: 6), out: out)
        XCTAssertEqual(other.status, 2, other.stderr)
        XCTAssertTrue(other.stderr.contains("weights (content hash)"), other.stderr)
        XCTAssertEqual(try modificationDates(out), before, "a refused run wrote into the folder")

        // A mask without a record of its image (no manifest, no progress line) is made again.
        try FileManager.default.removeItem(atPath: "\(out)/manifest.json")
        let unrecorded = try infer(weights: weights, out: out)
        XCTAssertEqual(unrecorded.status, 0, unrecorded.stderr)
        XCTAssertTrue(unrecorded.stdout.contains("0 already present"), unrecorded.stdout)

        // --overwrite redoes every mask with the new settings, and removes the
        // outputs of ids outside the list, which would now carry its provenance.
        try ImageCodecs.writePNG(Image8(width: 3, height: 3, channels: 1), to: "\(out)/not_in_the_list.png")
        let redo = try infer(weights: weights, out: out, extra: ["--thr", "0.5", "--overwrite"])
        XCTAssertEqual(redo.status, 0, redo.stderr)
        let ids = try Dataset.readList(SyntheticFixture.valList)
        XCTAssertTrue(redo.stdout.contains("wrote \(ids.count) mask(s), 0 already present"), redo.stdout)
        XCTAssertTrue(try String(contentsOfFile: "\(out)/provenance.json", encoding: .utf8).contains("0.5"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/not_in_the_list.png"))
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasPrefix("progress-rank-") }, [],
            "the progress files are merged into the manifest")
    }

    /// The --cam-npy format is part of the maps folder's record, not of the masks'.
    /// Two infers into one folder would interleave their manifests: while one holds the
    /// folder's lock, another is refused, and runs once the lock is released.
    func testAFolderInUseByAnotherRunIsRefused() throws {
        let weights = try checkpoint(seed: 5)
        let out = ProcessHarness.temporaryDirectory("provenance-locked")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let fd = open("\(out)/.eps-dist.lock", O_CREAT | O_RDWR, 0o644)
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        let refused = try infer(weights: weights, out: out)
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("in use by another eps-dist run"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/manifest.json"), "the refused run wrote")
        close(fd)
        let after = try infer(weights: weights, out: out)
        XCTAssertEqual(after.status, 0, after.stderr)
    }

    func testMapFormatIsComparedInTheMapsFolderOnly() throws {
        let weights = try checkpoint(seed: 5)
        let out = ProcessHarness.temporaryDirectory("provenance-format")
        var r = try infer(weights: weights, out: "\(out)/masks", extra: ["--cam-npy", "\(out)/maps"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try infer(weights: weights, out: "\(out)/masks")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("wrote 0 mask(s)"), r.stdout)
        r = try infer(
            weights: weights, out: "\(out)/masks", extra: ["--cam-npy", "\(out)/maps", "--cam-npy-format", "dense"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("cam-npy format: dict → dense") && r.stderr.contains("--cam-npy"), r.stderr)
    }

    func testStaleMaskOfAnotherSizeIsMadeAgain() throws {
        let weights = try checkpoint(seed: 5)
        let out = ProcessHarness.temporaryDirectory("provenance-stale")
        XCTAssertEqual(try infer(weights: weights, out: out).status, 0)
        let id = try Dataset.readList(SyntheticFixture.valList)[0]
        try ImageCodecs.writePNG(Image8(width: 3, height: 3, channels: 1), to: "\(out)/\(id).png")
        let again = try infer(weights: weights, out: out)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("wrote 1 mask(s)"), again.stdout)
        let mask = try ImageCodecs.readPNG("\(out)/\(id).png", indices: true)
        let image = try ImageCodecs.jpegSize("\(SyntheticFixture.root)/JPEGImages/\(id).jpg")
        XCTAssertEqual([mask.width, mask.height], [image.width, image.height])
        XCTAssertTrue(try String(contentsOfFile: "\(out)/manifest.json", encoding: .utf8).contains("redone (stale)"))
    }

    /// A re-run makes an image again when its inputs changed or its maps were damaged: an edited
    /// annotation (other labels, same image bytes), or a cut .npy (both were "already present").
    func testEditedLabelsAndCutMapsAreMadeAgain() throws {
        let weights = try checkpoint(seed: 5)
        let root = ProcessHarness.temporaryDirectory("provenance-data") + "/data"
        try FileManager.default.copyItem(atPath: SyntheticFixture.root, toPath: root)
        let out = ProcessHarness.temporaryDirectory("provenance-labels")
        let maps = ProcessHarness.temporaryDirectory("provenance-maps")
        let args = [
            "infer", "--weights", weights, "--data-root", root, "--infer-list", SyntheticFixture.valList,
            "--cam-png", out, "--cam-npy", maps, "--scales", "1.0",
        ]
        XCTAssertEqual(try ProcessHarness.epsDist(args).status, 0)
        let ids = try Dataset.readList(SyntheticFixture.valList)
        let xml = "\(root)/Annotations/\(ids[0]).xml"
        let text = try String(contentsOfFile: xml, encoding: .utf8)
        let names = try LabelSources.vocObjectNames(xml: xml)
        let other = ClassNames.voc.first { !names.contains($0) }!
        try text.replacingOccurrences(of: "<name>\(names[0])</name>", with: "<name>\(other)</name>")
            .write(toFile: xml, atomically: true, encoding: .utf8)
        let npy = "\(maps)/\(ids[1]).npy"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: npy))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: npy))
        let again = try ProcessHarness.epsDist(args)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("wrote 2 mask(s)"), again.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: npy)).count, bytes.count, "the cut maps were kept")
    }

    /// Masks without provenance (an older eps-dist, or copied in by hand)
    /// cannot be checked: refused unless --overwrite.
    func testOutputsWithoutProvenanceAreRefused() throws {
        let weights = try checkpoint(seed: 5)
        let out = ProcessHarness.temporaryDirectory("provenance-unknown")
        let id = try Dataset.readList(SyntheticFixture.valList)[0]
        try ImageCodecs.writePNG(Image8(width: 3, height: 3, channels: 1), to: "\(out)/\(id).png")
        let refused = try infer(weights: weights, out: out)
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("without provenance.json"), refused.stderr)
        XCTAssertEqual(try infer(weights: weights, out: out, extra: ["--overwrite"]).status, 0)
    }

    /// eval says what made the masks it scores.
    func testEvalPrintsTheProvenance() throws {
        let weights = try checkpoint(seed: 5)
        let out = ProcessHarness.temporaryDirectory("provenance-eval")
        XCTAssertEqual(try infer(weights: weights, out: out).status, 0)
        let json = "\(out)/eval.json"
        let eval = try ProcessHarness.epsDist([
            "eval", "--gt-dir", "\(SyntheticFixture.root)/SegmentationClassAug", "--pred-dir", out,
            "--datalist", SyntheticFixture.valList, "--json", json,
        ])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("masks: infer: eps-dist") && eval.stdout.contains(weights), eval.stdout)
        XCTAssertTrue(try String(contentsOfFile: json, encoding: .utf8).contains("weights_hash"))
    }

    /// An image too large for --max-pixels fails alone, with a clear line in
    /// the manifest; the others are made (before: a huge image aborted the run
    /// on a 32 GB allocation).
    func testImagesOverMaxPixelsFailAlone() throws {
        let weights = try checkpoint(seed: 5)
        let out = ProcessHarness.temporaryDirectory("max-pixels")
        let ids = try Dataset.readList(SyntheticFixture.valList)
        let sizes = try ids.map { try ImageCodecs.jpegSize("\(SyntheticFixture.root)/JPEGImages/\($0).jpg") }
        let areas = sizes.map { $0.width * $0.height }
        // Between the smallest and the largest image, or refuse all but the smallest.
        let limit = areas.min()!
        let result = try infer(weights: weights, out: out, extra: ["--max-pixels", "\(limit)"])
        let refused = areas.filter { $0 > limit }.count
        XCTAssertGreaterThan(refused, 0, "the fixture's images all have one size: \(sizes)")
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("over --max-pixels \(limit)"), result.stderr)
        let manifest = try String(contentsOfFile: "\(out)/manifest.json", encoding: .utf8)
        XCTAssertEqual(manifest.components(separatedBy: "over --max-pixels").count - 1, refused, manifest)
        for (id, area) in zip(ids, areas) where area <= limit {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/\(id).png"), "\(id) was not made")
        }
    }

    /// Even with --max-pixels raised, an image the node cannot hold fails
    /// alone (a JPEG whose header claims 60000×60000) instead of aborting.
    func testNodeMemoryBoundsEveryImage() throws {
        let weights = try checkpoint(seed: 5)
        let root = ProcessHarness.temporaryDirectory("huge-image")
        try FileManager.default.removeItem(atPath: root)
        try FileManager.default.copyItem(atPath: SyntheticFixture.root, toPath: root)
        let id = try Dataset.readList(SyntheticFixture.valList)[0]
        let path = "\(root)/JPEGImages/\(id).jpg"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let sof = try XCTUnwrap((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes.replaceSubrange((sof + 5)...(sof + 8), with: [0xEA, 0x60, 0xEA, 0x60])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let out = ProcessHarness.temporaryDirectory("huge-out")
        let result = try ProcessHarness.epsDist([
            "infer", "--weights", weights, "--data-root", root, "--infer-list",
            "\(root)/ImageSets/Segmentation/val.txt",
            "--cam-png", out, "--scales", "1.0", "--max-pixels", "100000000000",
        ])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("\(id).jpg") && result.stderr.contains("GB"), result.stderr)
        let others = try Dataset.readList(SyntheticFixture.valList).dropFirst()
        for other in others { XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/\(other).png"), other) }
    }
}
