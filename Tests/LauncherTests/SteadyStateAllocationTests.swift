import Foundation
import XCTest

/// Every heap allocation of a steady-state training step, counted by the
/// allocation counter of bench/alloc-counter preloaded into `eps-dist bench`:
/// with one thread (OpenBLAS's threaded GEMM driver allocates its own job
/// table per call, outside eps-dist) a step allocates no tensor memory, only
/// a few hundred small reference-counted handles.
///
/// The tensor-buffer bound holds in every configuration. The small-handle
/// bounds are release bounds: an unoptimised (debug) build also allocates the
/// temporaries (closure contexts, argument arrays) the optimiser removes,
/// about 7× the handle count and ~66 KB per step measured, so a debug build
/// checks looser bounds that still catch tensor memory leaking to the heap.
final class SteadyStateAllocationTests: XCTestCase {
    #if DEBUG
        static let (maxBytesPerStep, maxCallsPerReusedTensor) = (256.0 * 1024, 10.0)
    #else
        static let (maxBytesPerStep, maxCallsPerReusedTensor) = (64.0 * 1024, 2.0)
    #endif

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    func testSteadyStateStepAllocatesNoTensorMemory() throws {
        let dir = ProcessHarness.temporaryDirectory("alloc-counter")
        let built = try ProcessHarness.run(
            "/bin/bash", ["\(Self.repositoryRoot)/bench/alloc-counter/build.sh", "\(dir)/alloc-counter.so"])
        XCTAssertEqual(built.status, 0, "building the allocation counter failed: \(built.stderr)")
        var env = ProcessInfo.processInfo.environment
        env["LD_PRELOAD"] = "\(dir)/alloc-counter.so"
        for arch in ["resnet38", "resnet50"] {
            let json = "\(dir)/bench-\(arch).json"
            let out = try ProcessHarness.run(
                ProcessHarness.binary,
                [
                    "bench", "--arch", arch, "--width-divisor", "8", "--crop-size", "64",
                    "--threads", "1", "--steps", "3", "--json", json,
                ], environment: env)
            XCTAssertEqual(out.status, 0, out.stderr)
            let result = try XCTUnwrap(
                JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
            let calls = try XCTUnwrap(
                result["heap_allocations_per_step"] as? Double,
                "\(arch): the preloaded counter was not found by the bench")
            let bytes = try XCTUnwrap(result["heap_allocated_bytes_per_step"] as? Double)
            let fromHeap = try XCTUnwrap(result["tensor_buffers_from_heap_per_step"] as? Double)
            let reused = try XCTUnwrap(result["tensor_buffers_reused_per_step"] as? Double)
            XCTAssertEqual(fromHeap, 0, "\(arch): tensor buffers taken from the heap in a steady-state step")
            XCTAssertGreaterThan(reused, 100, arch)
            // Before the pool a step allocated every activation: 812 MB in 1402 calls at crop 224.
            // What remains is one small handle per tensor (and a few shape arrays).
            XCTAssertLessThan(bytes, Self.maxBytesPerStep, "\(arch): heap bytes per step (\(calls) calls)")
            XCTAssertLessThan(calls, Self.maxCallsPerReusedTensor * reused, "\(arch): too many allocations per tensor")
        }
    }
}
