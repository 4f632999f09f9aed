import Data
import DenseCRF
import Foundation
import Support
import XCTest

/// `eps-dist refine`: CRF-refined masks from saved class maps. The maps are made
/// here from the synthetic ground truth (blurred objects plus noise on the
/// background), so no network is trained.
final class RefineTests: XCTestCase {
    static let gt = "\(SyntheticFixture.root)/SegmentationClassAug"
    static let list = SyntheticFixture.valList

    /// Writes <id>.npy dicts {class: map} for the list's images: each present class's
    /// map is its ground-truth region at 0.7 blurred, plus noise up to 0.3 everywhere,
    /// max-normalised; thresholding at 0.2 leaves background speckles the CRF can remove.
    static func writeMaps(to dir: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let ids = try Dataset.readList(list)
        for (n, id) in ids.enumerated() {
            let truth = try ImageCodecs.readPNG("\(gt)/\(id).png", indices: true)
            let (w, h) = (truth.width, truth.height)
            let classes = Set(truth.pixels.filter { $0 != 0 && $0 != 255 }.map { Int($0) - 1 }).sorted()
            var rng = KeyedRandom(key: KeyedRandom.key(99, UInt64(n)))
            let maps = classes.map { c -> [Float] in
                var m = [Float](repeating: 0, count: w * h)
                for y in 0..<h {
                    for x in 0..<w {
                        // 3×3 mean of the region: soft edges.
                        var inside: Float = 0
                        for dy in -1...1 {
                            for dx in -1...1 {
                                let (yy, xx) = (min(max(y + dy, 0), h - 1), min(max(x + dx, 0), w - 1))
                                if Int(truth.pixels[yy * w + xx]) == c + 1 { inside += 1 }
                            }
                        }
                        m[y * w + x] = 0.7 * inside / 9 + rng.uniform(0, 0.3)
                    }
                }
                let top = m.max()!
                return m.map { $0 / (top + 1e-5) }
            }
            let cams = CAMArrays(height: h, width: w, classIndices: classes, maps: maps)
            try cams.encoded().write(to: URL(fileURLWithPath: "\(dir)/\(id).npy"))
        }
        return ids
    }

    static func refine(_ maps: String, _ out: String, ranks: Int = 1, _ extra: [String] = []) throws
        -> ProcessHarness.Output
    {
        let arguments =
            [
                "refine", "--cam-dir", maps, "--data-root", SyntheticFixture.root, "--datalist", list, "--out", out,
                "--progress-every", "0",
            ] + extra
        return ranks == 1
            ? try ProcessHarness.epsDist(arguments) : try ProcessHarness.mpiEpsDist(ranks: ranks, arguments)
    }

    static func mask(_ path: String) throws -> [UInt8] { try ImageCodecs.readPNG(path, indices: true).pixels }

    /// With no iteration the mask is argmax([thr, maps]) (infer's rule, first max on ties,
    /// class c written as c+1); with the CRF, exactly `CRFRefinement.mask` on the JPEG's
    /// pixels and the saved maps; --bg-alpha is recorded in the provenance.
    func testMasksAreTheThresholdRuleAndTheLibrarysCRF() throws {
        let dir = ProcessHarness.temporaryDirectory("refine-rule")
        let ids = try Self.writeMaps(to: "\(dir)/maps")
        var r = try Self.refine("\(dir)/maps", "\(dir)/plain", ["--crf-iterations", "0", "--bg-thr", "0.2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("refine rank 0: \(ids.count)/\(ids.count) images"), r.stdout)
        r = try Self.refine("\(dir)/maps", "\(dir)/crf")
        XCTAssertEqual(r.status, 0, r.stderr)
        var changed = 0
        for id in ids {
            let cams = try CAMArrays.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/maps/\(id).npy"))))
            let n = cams.width * cams.height
            var expected = [UInt8](repeating: 0, count: n)
            for i in 0..<n {
                var best: Float = 0.2
                for (c, map) in zip(cams.classIndices, cams.maps) where map[i] > best {
                    best = map[i]
                    expected[i] = UInt8(c + 1)
                }
            }
            XCTAssertEqual(try Self.mask("\(dir)/plain/\(id).png"), expected, id)
            let image = try ImageCodecs.readJPEG("\(SyntheticFixture.root)/JPEGImages/\(id).jpg")
            let refined = try CRFRefinement.mask(
                rgb: image.pixels, width: image.width, height: image.height, classIndices: cams.classIndices,
                maps: cams.maps, parameters: .psa, background: .constant(0.2))
            let written = try Self.mask("\(dir)/crf/\(id).png")
            XCTAssertEqual(written, refined, id)
            changed += zip(written, expected).filter { $0 != $1 }.count
        }
        XCTAssertGreaterThan(changed, 0, "the CRF changed no pixel")
        r = try Self.refine("\(dir)/maps", "\(dir)/alpha", ["--bg-alpha", "4", "--crf-params", "deeplab"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let provenance = try SweepTests.json("\(dir)/alpha/provenance.json")
        XCTAssertEqual(provenance["background"] as? String, "bg-alpha 4.0")
        XCTAssertEqual((provenance["crf"] as? [String: Any])?["bilateral_srgb"] as? Double, 3)
    }

    /// `infer --crf` (under mpirun -n 2) writes the masks `refine` makes from its saved maps with the same
    /// settings; with no iteration it writes infer's thresholded masks; the CRF is in the provenance, so a
    /// re-run without it into the folder is refused.
    func testInferCRFEqualsRefineOfItsMaps() throws {
        let dir = ProcessHarness.temporaryDirectory("infer-crf")
        var r = try ProcessHarness.epsDist(SyntheticFixture.trainArguments(out: "\(dir)/run", iterations: 4))
        XCTAssertEqual(r.status, 0, r.stderr)
        func infer(_ masks: String, _ extra: [String]) throws -> ProcessHarness.Output {
            try ProcessHarness.mpiEpsDist(
                ranks: 2,
                [
                    "infer", "--weights", "\(dir)/run/checkpoint.safetensors", "--data-root", SyntheticFixture.root,
                    "--infer-list", Self.list, "--cam-png", masks, "--scales", "1.0", "--threads", "1",
                ] + extra)
        }
        let crf = ["--crf", "--crf-params", "deeplab", "--bg-alpha", "4"]
        r = try infer("\(dir)/crf", crf + ["--cam-npy", "\(dir)/maps"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try Self.refine("\(dir)/maps", "\(dir)/refined", ranks: 2, ["--crf-params", "deeplab", "--bg-alpha", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try infer("\(dir)/plain", [])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try infer("\(dir)/zero", ["--crf", "--crf-iterations", "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        var changed = 0
        for id in try Dataset.readList(Self.list) {
            let refined = try Self.mask("\(dir)/refined/\(id).png")
            XCTAssertEqual(try Self.mask("\(dir)/crf/\(id).png"), refined, id)
            let plain = try Self.mask("\(dir)/plain/\(id).png")
            XCTAssertEqual(try Self.mask("\(dir)/zero/\(id).png"), plain, id)
            changed += zip(refined, plain).filter { $0 != $1 }.count
        }
        XCTAssertGreaterThan(changed, 0, "the CRF changed no pixel")
        let provenance = try SweepTests.json("\(dir)/crf/provenance.json")
        XCTAssertTrue((provenance["crf"] as? String ?? "").contains("bilateral"), "\(provenance)")
        r = try infer("\(dir)/crf", [])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("crf: "), r.stderr)
        r = try infer("\(dir)/other", ["--bg-alpha", "4"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("--bg-alpha") && r.stderr.contains("--crf"), r.stderr)
    }

    /// Under mpirun -n 2 the masks and the report equal one rank's; the report equals
    /// `eval` of the masks; the CRF scores better than the thresholded noisy maps.
    func testTwoRanksEqualOneAndTheReportEqualsEval() throws {
        let dir = ProcessHarness.temporaryDirectory("refine-ranks")
        let ids = try Self.writeMaps(to: "\(dir)/maps")
        let scored = ["--gt-dir", Self.gt]
        var r = try Self.refine("\(dir)/maps", "\(dir)/one", scored)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try Self.refine("\(dir)/maps", "\(dir)/two", ranks: 2, scored)
        XCTAssertEqual(r.status, 0, r.stderr)
        for rank in 0..<2 { XCTAssertTrue(r.stdout.contains("refine rank \(rank): "), r.stdout) }
        for id in ids {
            XCTAssertEqual(try Self.mask("\(dir)/one/\(id).png"), try Self.mask("\(dir)/two/\(id).png"), id)
        }
        let one = try SweepTests.json("\(dir)/one/report.json")
        let two = try SweepTests.json("\(dir)/two/report.json")
        XCTAssertEqual(one["confusion"] as? [Double], two["confusion"] as? [Double])
        XCTAssertNotNil((one["provenance"] as? [String: Any])?["crf"])
        r = try ProcessHarness.epsDist([
            "eval", "--gt-dir", Self.gt, "--pred-dir", "\(dir)/one", "--datalist", Self.list, "--json",
            "\(dir)/eval.json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let crfMIoU = try XCTUnwrap(one["miou"] as? Double)
        XCTAssertEqual(crfMIoU, try XCTUnwrap(SweepTests.json("\(dir)/eval.json")["miou"] as? Double), accuracy: 1e-9)
        r = try Self.refine("\(dir)/maps", "\(dir)/plain", scored + ["--crf-iterations", "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let plainMIoU = try XCTUnwrap(SweepTests.json("\(dir)/plain/report.json")["miou"] as? Double)
        print("refine: mIoU \(plainMIoU) thresholded, \(crfMIoU) with the psa CRF")
        XCTAssertGreaterThan(crfMIoU, plainMIoU + 0.05)
    }

    /// Bad flags and inputs end with status 2 and a message naming them; other
    /// settings in a used folder are refused until --overwrite.
    func testRefusals() throws {
        let dir = ProcessHarness.temporaryDirectory("refine-refusals")
        let ids = try Self.writeMaps(to: "\(dir)/maps")
        func refused(_ extra: [String], out: String = "out", mentioning words: [String]) throws {
            let r = try Self.refine("\(dir)/maps", "\(dir)/\(out)", extra)
            XCTAssertEqual(r.status, 2, "\(extra): \(r.stderr)")
            for word in words { XCTAssertTrue(r.stderr.contains(word), "\(extra): \(r.stderr)") }
        }
        try refused(["--bg-alpha", "4", "--bg-thr", "0.3"], mentioning: ["--bg-alpha", "--bg-thr"])
        try refused(["--crf-params", "fancy"], mentioning: ["--crf-params", "psa"])
        try refused(["--crf-bilateral-srgb", "0"], mentioning: ["bilateral srgb"])
        try refused(["--bg-thr", "1.5"], mentioning: ["--bg-thr"])
        let r = try ProcessHarness.epsDist([
            "refine", "--cam-dir", "\(dir)/maps", "--data-root", SyntheticFixture.root, "--datalist", Self.list,
            "--out", "\(dir)/maps",
        ])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("--cam-dir"), r.stderr)
        // A missing and a corrupt map: both named, the others still written.
        try FileManager.default.removeItem(atPath: "\(dir)/maps/\(ids[0]).npy")
        try Data("not numpy".utf8).write(to: URL(fileURLWithPath: "\(dir)/maps/\(ids[1]).npy"))
        try refused([], out: "broken", mentioning: ["2 image(s) failed", "\(ids[0]).npy", "\(ids[1]).npy"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/broken/\(ids[2]).png"))
        // Other settings in a folder with masks: refused, then redone with --overwrite.
        try refused(["--bg-thr", "0.3"], out: "broken", mentioning: ["other settings", "background", "--overwrite"])
        _ = try Self.writeMaps(to: "\(dir)/maps")
        let again = try Self.refine("\(dir)/maps", "\(dir)/broken", ["--bg-thr", "0.3", "--overwrite"])
        XCTAssertEqual(again.status, 0, again.stderr)
    }
}
