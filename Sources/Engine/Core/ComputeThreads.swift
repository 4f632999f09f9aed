import CBLAS
import Foundation

/// The compute threads of this process: Parallel's element-wise passes and
/// Gemm's products share them; OpenBLAS itself runs single-threaded on each
/// (Gemm). `EPS_GEMM_THREADS=openblas` lets OpenBLAS thread every product
/// itself instead, the behaviour before, for comparisons.
public enum ComputeThreads {
    public static func set(_ n: Int) {
        cached = max(n, 1)
        openblas_set_num_threads(Int32(openBLASProductThreads))
    }
    /// The count last set (read on hot paths without a call into OpenBLAS).
    nonisolated(unsafe) public private(set) static var cached = 1

    /// Whether OpenBLAS threads the products itself.
    nonisolated(unsafe) public static var openBLASThreads =
        ProcessInfo.processInfo.environment["EPS_GEMM_THREADS"] == "openblas"

    /// The threads OpenBLAS runs one product on: all of them when it threads
    /// the products itself, else 1 (Gemm splits the work).
    static var openBLASProductThreads: Int { openBLASThreads ? cached : 1 }

    /// Runs body with OpenBLAS threading its products over all `cached`
    /// threads (the sgemm baseline of the benchmarks), then restores.
    public static func withOpenBLASThreads<T>(_ body: () throws -> T) rethrows -> T {
        openblas_set_num_threads(Int32(cached))
        defer { openblas_set_num_threads(Int32(openBLASProductThreads)) }
        return try body()
    }
}
