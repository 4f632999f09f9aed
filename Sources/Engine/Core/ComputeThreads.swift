import CBLAS

/// The number of threads OpenBLAS uses in this process.
public enum ComputeThreads {
    public static func set(_ n: Int) {
        openblas_set_num_threads(Int32(max(n, 1)))
        cached = max(n, 1)
    }
    public static var current: Int { Int(openblas_get_num_threads()) }
    /// The count last set (read on hot paths without a call into OpenBLAS).
    nonisolated(unsafe) public private(set) static var cached = 1
}
