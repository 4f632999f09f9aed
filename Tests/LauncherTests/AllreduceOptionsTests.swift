import Engine
import Foundation
import XCTest

/// `--mpi-progress` and `--allreduce-dtype` on 2 ranks (the real binary under
/// mpirun): the progress thread changes when bytes move, never the sums;
/// bf16 changes the sums a little but the same way every time, is recorded in
/// config.yaml, and a bf16 run resumes only as bf16.
final class AllreduceOptionsTests: XCTestCase {
    func train(_ name: String, ranks: Int = 2, _ extra: [String]) throws -> (out: String, weights: SafeTensorsFile) {
        let out = ProcessHarness.temporaryDirectory("allreduce-\(name)")
        let result = try ProcessHarness.mpiEpsDist(
            ranks: ranks, SyntheticFixture.trainArguments(out: out, iterations: 10, arch: "small", extra: extra),
            timeout: 600)
        XCTAssertEqual(result.status, 0, "\(name):\n\(result.stdout)\n\(result.stderr)")
        return (out, try SafeTensorsFile.read("\(out)/checkpoint.safetensors"))
    }

    func testProgressThreadGivesTheSameWeightsAsProgressInCalls() throws {
        let thread = try train("thread", ["--mpi-progress", "thread", "--bucket-mb", "0.01"])
        let calls = try train("calls", ["--mpi-progress", "calls", "--bucket-mb", "0.01"])
        XCTAssertEqual(thread.weights.worstRelativeDifference(to: calls.weights, comparing: { _ in true }), 0)
        let config = try String(contentsOfFile: "\(thread.out)/config.yaml", encoding: .utf8)
        XCTAssertTrue(config.contains("mpi_progress: thread"), config)
    }

    func testBF16GradientsTrainCloseToF32AndAreRecorded() throws {
        let f32 = try train("f32", [])
        let bf16 = try train("bf16", ["--allreduce-dtype", "bf16"])
        let bf16Again = try train("bf16-again", ["--allreduce-dtype", "bf16"])
        XCTAssertEqual(
            bf16.weights.worstRelativeDifference(to: bf16Again.weights, comparing: { _ in true }), 0,
            "bf16 sums must be deterministic for a given rank count")
        let flatBF16 = try train("flat-bf16", ["--allreduce-dtype", "bf16", "--allreduce", "flat"])
        let difference = f32.weights.worstRelativeDifference(to: bf16.weights, comparing: { _ in true })
        print("bf16 against f32 gradients, 2 ranks, 10 steps: max relative weight difference \(difference)")
        XCTAssertGreaterThan(difference, 0, "bf16 rounding changed nothing: was it applied?")
        XCTAssertLessThan(difference, 0.05)
        // Bucketed and flat send the same bf16 values and sum them the same way per element.
        XCTAssertLessThan(bf16.weights.worstRelativeDifference(to: flatBF16.weights, comparing: { _ in true }), 1e-3)
        for tensor in bf16.weights.tensors.values { XCTAssertTrue(tensor.values.allSatisfy(\.isFinite)) }
        let config = try String(contentsOfFile: "\(bf16.out)/config.yaml", encoding: .utf8)
        XCTAssertTrue(config.contains("allreduce_dtype: bf16"), config)
        // One rank has nothing to send: bf16 changes nothing.
        let one = try train("one-f32", ranks: 1, [])
        let oneBF16 = try train("one-bf16", ranks: 1, ["--allreduce-dtype", "bf16"])
        XCTAssertEqual(one.weights.worstRelativeDifference(to: oneBF16.weights, comparing: { _ in true }), 0)
    }

    func testBF16RunResumesOnlyAsBF16() throws {
        let out = ProcessHarness.temporaryDirectory("allreduce-resume")
        let base = SyntheticFixture.trainArguments(out: out, iterations: 6, extra: ["--allreduce-dtype", "bf16"])
        let stopped = try ProcessHarness.mpiEpsDist(ranks: 2, base + ["--stop-at-step", "3"], timeout: 300)
        XCTAssertEqual(stopped.status, 3, stopped.stderr)
        var f32 = base + ["--resume"]
        f32[f32.firstIndex(of: "bf16")!] = "f32"
        let refused = try ProcessHarness.mpiEpsDist(ranks: 2, f32, timeout: 300)
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("allreduce bf16"), refused.stderr)
        let resumed = try ProcessHarness.mpiEpsDist(ranks: 2, base + ["--resume"], timeout: 300)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
    }
}
