import Data
import Foundation
import Glibc
import XCTest

/// Outputs: a write that fails (disk full) is an I/O failure, exit 1 naming
/// the path; temporary files of killed writers are removed by the next run
/// of the same folder, those of live writers are kept.
final class OutputFailureTests: XCTestCase {
    /// The temp-name owner AtomicFile writes: `<host>-<pid>`.
    static var host: String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        return String(cString: name).replacingOccurrences(of: "-", with: "_")
    }

    /// /dev/full fails every write with ENOSPC, as a full disk does.
    func testDiskFullIsAnIOFailure() throws {
        let dir = ProcessHarness.temporaryDirectory("disk-full")
        try FileManager.default.createDirectory(atPath: "\(dir)/gt", withIntermediateDirectories: true)
        try ImageCodecs.writePNG(Image8(width: 4, height: 4, channels: 1, fill: 1), to: "\(dir)/gt/a.png")
        try "a\n".write(toFile: "\(dir)/list.txt", atomically: true, encoding: .utf8)
        let result = try ProcessHarness.epsDist(
            [
                "eval", "--gt-dir", "\(dir)/gt", "--pred-dir", "\(dir)/gt", "--datalist", "\(dir)/list.txt",
                "--json", "/dev/full",
            ], timeout: 60)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("/dev/full"), result.stderr)
    }

    /// A single-file output that names an input (the datalist, a mask, a checkpoint) is refused
    /// before any work, and the input is left as it was; a file of the same kind is replaced.
    func testSingleFileOutputsNeverReplaceAnInput() throws {
        let dir = ProcessHarness.temporaryDirectory("output-onto-input")
        try FileManager.default.createDirectory(atPath: "\(dir)/gt", withIntermediateDirectories: true)
        try ImageCodecs.writePNG(Image8(width: 4, height: 4, channels: 1, fill: 1), to: "\(dir)/gt/a.png")
        try "a\n".write(toFile: "\(dir)/list.txt", atomically: true, encoding: .utf8)
        let eval = ["eval", "--gt-dir", "\(dir)/gt", "--pred-dir", "\(dir)/gt", "--datalist", "\(dir)/list.txt"]
        for target in ["\(dir)/list.txt", "\(dir)/gt/a.png"] {
            let before = try Data(contentsOf: URL(fileURLWithPath: target))
            let result = try ProcessHarness.epsDist(eval + ["--json", target], timeout: 60)
            XCTAssertEqual(result.status, 2, result.stderr)
            XCTAssertTrue(result.stderr.contains("exists and is not a JSON document"), result.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: target)), before, "\(target) was replaced")
        }
        let classValue = try ProcessHarness.epsDist(eval + ["--prediction-ignore", "7"], timeout: 60)
        XCTAssertEqual(classValue.status, 2, classValue.stderr)
        XCTAssertTrue(classValue.stderr.contains("--prediction-ignore 7 is a class index"), classValue.stderr)
        let json = "\(dir)/scores.json"
        XCTAssertEqual(try ProcessHarness.epsDist(eval + ["--json", json], timeout: 60).status, 0)
        XCTAssertEqual(
            try ProcessHarness.epsDist(eval + ["--json", json], timeout: 60).status, 0, "a JSON is replaced")
        let checkpoint = "\(dir)/checkpoint.safetensors"
        try Data([8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8)).write(to: URL(fileURLWithPath: checkpoint))
        let report = try ProcessHarness.epsDist(["report", "--run", dir, "--out", checkpoint], timeout: 60)
        XCTAssertEqual(report.status, 2, report.stderr)
        XCTAssertTrue(report.stderr.contains("is not an HTML page"), report.stderr)
        // A bad --mask-thr is refused before the sweep writes or prints anything.
        let sweep = try ProcessHarness.epsDist(
            [
                "sweep", "--cam-dir", "\(dir)/gt", "--gt-dir", "\(dir)/gt", "--datalist", "\(dir)/list.txt",
                "--write-masks", "\(dir)/masks", "--mask-thr", "2", "--json", "\(dir)/sweep.json",
            ], timeout: 60)
        XCTAssertEqual(sweep.status, 2, sweep.stderr)
        XCTAssertTrue(sweep.stderr.contains("--mask-thr takes a number"), sweep.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/sweep.json"))
    }

    func testLeftoverTemporariesOfDeadWritersAreRemoved() throws {
        let out = ProcessHarness.temporaryDirectory("leftovers") + "/run"
        try FileManager.default.createDirectory(atPath: "\(out)/checkpoints", withIntermediateDirectories: true)
        let dead = "\(out)/checkpoints/step-000004.safetensors.tmp-\(Self.host)-2147483646"
        let live = "\(out)/checkpoints/step-000008.safetensors.tmp-\(Self.host)-\(getpid())"
        let otherHost = "\(out)/config.yaml.tmp-elsewhere-123"
        for path in [dead, live, otherHost] {
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
        }
        let result = try ProcessHarness.epsDist(SyntheticFixture.trainArguments(out: out, iterations: 2), timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("removed 1 leftover temporary file"), result.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead), "a dead writer's temporary was kept")
        XCTAssertTrue(FileManager.default.fileExists(atPath: live), "a live writer's temporary was removed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: otherHost), "another host's temporary was removed")
    }
}
