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
