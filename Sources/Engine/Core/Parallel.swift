import Dispatch

/// Splits element-wise work (im2col, BatchNorm, ReLU) over the compute
/// threads that OpenBLAS uses for the GEMMs, so a rank with T threads uses
/// all T for the whole step, not only inside sgemm.
public enum Parallel {
    /// Calls body with disjoint ranges covering 0..<count; in parallel when
    /// there are several threads and at least `minimum` items per thread.
    @inline(__always)
    public static func ranges(_ count: Int, minimum: Int = 1, _ body: (Range<Int>) -> Void) {
        let threads = min(ComputeThreads.cached, max(count / max(minimum, 1), 1))
        guard threads > 1 else {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            body((count * t / threads)..<(count * (t + 1) / threads))
        }
    }
}
