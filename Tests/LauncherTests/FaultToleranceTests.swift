import Engine
import Foundation
import XCTest

/// Checkpoints, exact resume on another rank count, signals, killed and
/// stuck ranks (docs/ARCHITECTURE.md, "Rank discipline" and "Testing"): the job ends with a message, never hangs.
final class FaultToleranceTests: XCTestCase {
    /// Adam's two moments and the small net's BatchNorm running statistics
    /// survive a stop and resume: the resumed run ends where the straight one does.
    func testAdamAndBatchStatisticsResumeExactly() throws {
        let extra = ["--optimizer", "adam", "--lr", "0.001", "--checkpoint-every", "3"]
        let straight = ProcessHarness.temporaryDirectory("adam-straight")
        let a = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(out: straight, iterations: 6, arch: "small", extra: extra))
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertTrue(a.stdout.contains("recipe: Adam lr 0.001"), a.stdout)
        let split = ProcessHarness.temporaryDirectory("adam-split")
        let first = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(
                out: split, iterations: 6, arch: "small", extra: extra + ["--stop-at-step", "3"]))
        XCTAssertEqual(first.status, 3, first.stderr)
        let stepFile = try SafeTensorsFile.read("\(split)/checkpoints/step-000003.safetensors")
        XCTAssertNotNil(stepFile.tensors["optimizer.second_moment.conv5.weight"], "Adam's second moment is saved")
        XCTAssertTrue(stepFile.tensors["bn5.running_var"]!.values.contains { $0 != 1 }, "running statistics saved")
        let second = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(out: split, iterations: 6, arch: "small", extra: extra + ["--resume"]))
        XCTAssertEqual(second.status, 0, second.stderr)
        let d = try SafeTensorsFile.read("\(straight)/checkpoint.safetensors").worstRelativeDifference(
            to: try SafeTensorsFile.read("\(split)/checkpoint.safetensors"), comparing: { !$0.hasPrefix("optimizer.") })
        XCTAssertLessThanOrEqual(d, 1e-6, "Adam resume")
    }

    /// A second run on the --out of a running one is refused (both wrote
    /// metrics.jsonl and checkpoints before); once the first is killed, its
    /// lock goes with it and the folder can be resumed.
    func testASecondRunOnTheSameOutIsRefusedWhileTheFirstRuns() throws {
        let out = ProcessHarness.temporaryDirectory("locked-run")
        let first = try RunningProcess(
            ProcessHarness.binary,
            SyntheticFixture.trainArguments(out: out, iterations: 100_000, extra: ["--checkpoint-every", "5"]),
            environment: ProcessInfo.processInfo.environment)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && !FileManager.default.fileExists(atPath: "\(out)/checkpoints/step-000005.safetensors")
        {
            usleep(50_000)
        }
        let second = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(
                out: out, iterations: 100_000, extra: ["--checkpoint-every", "5", "--resume"]))
        XCTAssertEqual(second.status, 2, second.stderr)
        XCTAssertTrue(second.stderr.contains("in use by another eps-dist run"), second.stderr)
        kill(first.process.processIdentifier, SIGKILL)
        _ = first.wait(timeout: 30)
        // The kernel dropped the killed run's lock: it can be taken at once.
        let fd = open("\(out)/.eps-dist.lock", O_RDWR)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0, "the lock outlived its run")
        close(fd)
        // A stop at step 5 is behind the resumed run (it ran on to the end before).
        let behind = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(
                out: out, iterations: 100_000, extra: ["--checkpoint-every", "5", "--resume", "--stop-at-step", "5"]),
            timeout: 120)
        XCTAssertEqual(behind.status, 2, behind.stderr)
        XCTAssertTrue(behind.stderr.contains("--stop-at-step 5 is not after step"), behind.stderr)
    }

    /// A stop after the last step would never come: refused before anything runs, not ignored.
    func testStopAfterTheLastStepIsRefused() throws {
        let out = ProcessHarness.temporaryDirectory("stop-after-last")
        let run = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(out: out, iterations: 4, extra: ["--stop-at-step", "9"]))
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("--stop-at-step 9 is after the last step (--max-iters 4)"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/checkpoint.safetensors"))
    }

    /// --resume takes the newest step checkpoint that reads whole: a cut newest one is skipped
    /// with a warning for the one before it (the run stopped at the cut one before).
    func testResumeSkipsADamagedNewestCheckpoint() throws {
        let out = ProcessHarness.temporaryDirectory("resume-damaged")
        let extra = ["--checkpoint-every", "2"]
        let first = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(out: out, iterations: 8, extra: extra + ["--stop-at-step", "4"]))
        XCTAssertEqual(first.status, 3, first.stderr)
        let newest = "\(out)/checkpoints/step-000004.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: newest))
        try bytes.prefix(bytes.count - 500).write(to: URL(fileURLWithPath: newest))
        let resumed = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(out: out, iterations: 8, extra: extra + ["--resume"]))
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let log = resumed.stdout + resumed.stderr
        XCTAssertTrue(log.contains("skipping the damaged \(newest)"), log)
        XCTAssertTrue(log.contains("resuming from \(out)/checkpoints/step-000002.safetensors at step 2"), log)
    }

    /// Stop after step 10 (the SIGTERM path) on 2 ranks, resume on 1 rank:
    /// the final weights equal the uninterrupted 2-rank run's.
    func testResumeOnAnotherRankCountReproducesTheStraightRun() throws {
        let straight = ProcessHarness.temporaryDirectory("resume-straight")
        let a = try ProcessHarness.mpiEpsDist(ranks: 2, SyntheticFixture.trainArguments(out: straight, iterations: 20))
        XCTAssertEqual(a.status, 0, a.stderr)

        let split = ProcessHarness.temporaryDirectory("resume-split")
        let first = try ProcessHarness.mpiEpsDist(
            ranks: 2,
            SyntheticFixture.trainArguments(
                out: split, iterations: 20, extra: ["--checkpoint-every", "4", "--stop-at-step", "10"]))
        XCTAssertEqual(first.status, 3, "stop must exit with the requeue status 3: \(first.stderr)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(split)/checkpoints/step-000010.safetensors"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(split)/checkpoint.safetensors"))
        // Without --resume the run directory is protected.
        let refused = try ProcessHarness.epsDist(SyntheticFixture.trainArguments(out: split, iterations: 20))
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--resume"), refused.stderr)

        // Other settings cannot continue this run.
        let mismatched = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(
                out: split, iterations: 20, extra: ["--checkpoint-every", "4", "--resume", "--seed", "99"]))
        XCTAssertEqual(mismatched.status, 2, mismatched.stderr)
        XCTAssertTrue(mismatched.stderr.contains("other settings"), mismatched.stderr)
        // Nor other images (the list path may move, the images may not).
        let shorter = "\(split)-shorter.txt"
        let lines = try String(contentsOfFile: SyntheticFixture.trainList, encoding: .utf8).split(separator: "\n")
        try (lines.dropLast().joined(separator: "\n") + "\n").write(toFile: shorter, atomically: true, encoding: .utf8)
        let otherImages = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(
                out: split, iterations: 20, extra: ["--checkpoint-every", "4", "--resume", "--train-list", shorter]))
        XCTAssertEqual(otherImages.status, 2, otherImages.stderr)
        XCTAssertTrue(otherImages.stderr.contains("other settings or images"), otherImages.stderr)
        let second = try ProcessHarness.mpiEpsDist(
            ranks: 1,
            SyntheticFixture.trainArguments(
                out: split, iterations: 20, extra: ["--checkpoint-every", "4", "--resume"]))
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("resuming from"), second.stdout)
        // Each logged step appears once in metrics.jsonl.
        let steps = try String(contentsOfFile: "\(split)/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["step"] as? Int
            }
        XCTAssertEqual(steps, steps.sorted())
        XCTAssertEqual(Set(steps).count, steps.count, "\(steps)")
        let d = try SafeTensorsFile.read("\(straight)/checkpoint.safetensors").worstRelativeDifference(
            to: try SafeTensorsFile.read("\(split)/checkpoint.safetensors"), comparing: { !$0.hasPrefix("optimizer.") })
        print("resume: straight -n 2 vs stop at 10 on -n 2 + resume on -n 1: max relative difference \(d)")
        XCTAssertLessThanOrEqual(d, 1e-4)
        // Only the last --keep-checkpoints (3) step checkpoints remain.
        let kept = try FileManager.default.contentsOfDirectory(atPath: "\(split)/checkpoints").filter {
            $0.hasPrefix("step-")
        }
        XCTAssertLessThanOrEqual(kept.count, 3, "\(kept)")
    }

    /// mpirun -n 2 of a long run, once it is under way; returns it, its run
    /// directory and the two rank pids (fails the test, never traps, if not 2).
    func startLongRun(_ name: String, extra: [String] = []) throws -> (RunningProcess, String, [Int32]) {
        let out = ProcessHarness.temporaryDirectory(name)
        let args =
            ["-n", "2", ProcessHarness.binary]
            + SyntheticFixture.trainArguments(out: out, iterations: 100_000, extra: ["--log-every", "1"] + extra)
        let running = try RunningProcess(ProcessHarness.mpirun, args, environment: ProcessHarness.mpiEnvironment)
        // Wait until training is under way (a few steps logged).
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let lines =
                (try? String(contentsOfFile: "\(out)/metrics.jsonl", encoding: .utf8))?.split(separator: "\n").count
                ?? 0
            if lines >= 3 && running.rankPIDs().count == 2 { break }
            usleep(100_000)
        }
        let ranks = running.rankPIDs()
        guard ranks.count == 2 else {
            _ = running.wait(timeout: 0)
            XCTFail("expected 2 eps-dist ranks under mpirun, found \(ranks.count)")
            throw RanksNotStarted()
        }
        return (running, out, ranks)
    }

    func testSIGTERMOnOneRankCheckpointsAndExitsForRequeue() throws {
        let (running, out, ranks) = try startLongRun("sigterm")
        kill(ranks[1], SIGTERM)
        let result = try XCTUnwrap(running.wait(timeout: 60), "the job did not stop after SIGTERM")
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.contains("SIGTERM"), result.stderr)
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: "\(out)/checkpoints")
        XCTAssertEqual(checkpoints.filter { $0.hasPrefix("step-") }.count, 1, "\(checkpoints)")
    }

    func testKilledRankEndsTheJob() throws {
        let (running, _, ranks) = try startLongRun("kill9")
        kill(ranks[0], SIGKILL)
        let result = try XCTUnwrap(running.wait(timeout: 30), "mpirun still running 30 s after a rank was killed")
        XCTAssertNotEqual(result.status, 0)
        print(
            "kill -9 of one rank: mpirun exited with \(result.status) after \(String(format: "%.1f", result.seconds)) s"
        )
    }

    func testStuckRankTripsTheCollectiveTimeout() throws {
        let (running, _, ranks) = try startLongRun("stuck", extra: ["--collective-timeout", "3"])
        kill(ranks[1], SIGSTOP)
        let result = try XCTUnwrap(running.wait(timeout: 60), "the job hung with a stopped rank")
        for pid in ranks { kill(pid, SIGKILL) }
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("did not complete within 3 s"), result.stderr)
    }
}

struct RanksNotStarted: Error {}
