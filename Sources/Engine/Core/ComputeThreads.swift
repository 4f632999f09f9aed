import CBLAS

/// The number of threads OpenBLAS uses in this process.
public enum ComputeThreads {
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(max(n, 1))) }
    public static var current: Int { Int(openblas_get_num_threads()) }
}
