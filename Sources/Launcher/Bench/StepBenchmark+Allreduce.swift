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
            "buckets": buckets.buckets.count,
        ]
    }
}
