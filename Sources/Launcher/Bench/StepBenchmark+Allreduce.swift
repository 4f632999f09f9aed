import Distributed
import Engine
import Foundation

extension StepBenchmark {
    /// Raw MPI_Allreduce of the whole gradient arena against the bucketed
    /// path on the same bytes, without compute in between.
    func allreduceBandwidth(store: ParameterStore, buckets: GradientBuckets) -> [String: Any] {
        let bytes = Double(store.count * 4)
        func time(_ body: () -> Void) -> Double {
            body()
            comm.barrier()
            let start = Date()
            for _ in 0..<5 { body() }
            return Date().timeIntervalSince(start) / 5
        }
        let raw = time { comm.allreduceMean(store.gradients, count: store.count) }
        let sweep = comm.size > 1 ? allreduceSweep(store: store) : []
        let bucketed = time {
            buckets.beginStep()
            buckets.finish()
        }  // nothing reported: every bucket starts in finish
        log(
            String(
                format: "allreduce of %.1f MB: raw %.4f s (%.2f GB/s), bucketed %.4f s (%.2f GB/s, %d buckets)",
                bytes / 1e6, raw, bytes / raw / 1e9, bucketed, Double(buckets.floatsReduced * 4) / bucketed / 1e9,
                buckets.buckets.count))
        return [
            "allreduce_mb": bytes / 1e6, "raw_allreduce_seconds": raw, "raw_allreduce_gbps": bytes / raw / 1e9,
            "bucketed_allreduce_only_seconds": bucketed,
            "bucketed_allreduce_gbps": Double(buckets.floatsReduced * 4) / bucketed / 1e9,
            "buckets": buckets.buckets.count, "allreduce_sweep": sweep,

        ]
    }

    /// Seconds of one f32 allreduce as a bucket runs it (MPI_Iallreduce, then
    /// wait) of 4 KB, 16 KB, … up to the whole arena, the slowest rank's: the
    /// points that calibrate the α–β model of scripts/scaling_model.py. Small
    /// messages repeat more (≈ 1e8 bytes per size, 3…100 times). Sums zeros
    /// (the arena is cleared): the bench is over by then.
    func allreduceSweep(store: ParameterStore) -> [[String: Double]] {
        store.zeroGradients()
        var sizes: [Int] = []
        var floats = 1024
        while floats < store.count {
            sizes.append(floats)
            floats *= 4
        }
        sizes.append(store.count)
        return sizes.map { count in
            let repeats = min(100, max(3, 100_000_000 / (count * 4)))
            func once() { comm.wait([comm.startAllreduceSum(store.gradients, count: count)]) }
            once()  // warm-up: connections, buffers
            comm.barrier()
            let start = Date()
            for _ in 0..<repeats { once() }
            let seconds = Date().timeIntervalSince(start) / Double(repeats)
            let slowest = Double(comm.allreduceMax(Int(seconds * 1e9))) / 1e9
            return ["bytes": Double(count * 4), "seconds": slowest]
        }
    }

    /// What --allreduce-dtype bf16 adds per step besides the wire: encoding and
    /// decoding the whole arena once, and one MPI reduction pass over it.
    func bf16ConversionSeconds(store: ParameterStore) -> (codec: Double, accumulate: Double) {
        let staging = UnsafeMutablePointer<UInt16>.allocate(capacity: store.count)
        let other = UnsafeMutablePointer<UInt16>.allocate(capacity: store.count)
        defer {
            staging.deallocate()
            other.deallocate()
        }
        BFloat16.encode(store.gradients, to: other, count: store.count)
        BFloat16.encode(store.gradients, to: staging, count: store.count)  // first touch: page faults
        var start = Date()
        BFloat16.encode(store.gradients, to: staging, count: store.count)
        BFloat16.decode(staging, to: store.gradients, count: store.count)
        let codec = Date().timeIntervalSince(start)
        start = Date()
        BFloat16.accumulate(other, into: staging, count: store.count)
        let accumulate = Date().timeIntervalSince(start)
        log(
            String(
                format: "bf16: encode + decode of the arena %.4f s, one reduction pass %.4f s", codec, accumulate))
        return (codec, accumulate)
    }

    /// When each bucket was ready in the last timed step, counted back from the
    /// end of backward (0: started only in `finish`), with its bytes on the wire.
    func bucketTimeline(_ buckets: GradientBuckets) -> [[String: Double]] {
        let bytesPerFloat = Double(options.allreduceDtype.bytesPerElement)
        return zip(buckets.buckets, buckets.startSeconds).map { bucket, started in
            [
                "bytes": Double(bucket.range.count) * bytesPerFloat,
                "ready_before_backward_end_s": max(0, buckets.finishSeconds - started),
            ]
        }
    }
}
