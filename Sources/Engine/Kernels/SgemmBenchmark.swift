import CBLAS
import Dispatch

/// Times cblas_sgemm on given shapes, the ceiling a convolution step is held against.
public enum SgemmBenchmark {
    /// C [m, n] = op(A) · op(B) with op(A) [m, k], op(B) [k, n], row-major;
    /// a transposed operand is stored as its transpose (A [k, m], B [n, k]),
    /// as the convolution kernels pass them.
    public struct Shape: Hashable {
        public var m, n, k: Int
        public var transposeA, transposeB: Bool
        public init(m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false) {
            self.m = m
            self.n = n
            self.k = k
            self.transposeA = transposeA
            self.transposeB = transposeB
        }
    }

    /// GFLOP/s over all shapes, each run `weight[shape]` times (its share of
    /// the step), after one warm-up call per shape.
    /// OpenBLAS threads each product itself over the compute threads here.
    public static func gflops(_ weights: [Shape: Int]) -> (gflops: Double, seconds: Double, gflop: Double) {
        ComputeThreads.withOpenBLASThreads { timed(weights) }
    }

    private static func timed(_ weights: [Shape: Int]) -> (gflops: Double, seconds: Double, gflop: Double) {
        var total = 0.0
        var flop = 0.0
        for (shape, count) in weights.sorted(by: { $0.key.m * $0.key.n * $0.key.k > $1.key.m * $1.key.n * $1.key.k }) {
            var a = [Float](repeating: 0.01, count: shape.m * shape.k)
            var b = [Float](repeating: 0.02, count: shape.k * shape.n)
            var c = [Float](repeating: 0, count: shape.m * shape.n)
            func run() {
                cblas_sgemm(
                    CblasRowMajor, shape.transposeA ? CblasTrans : CblasNoTrans,
                    shape.transposeB ? CblasTrans : CblasNoTrans,
                    Int32(shape.m), Int32(shape.n), Int32(shape.k), 1,
                    &a, Int32(shape.transposeA ? shape.m : shape.k), &b, Int32(shape.transposeB ? shape.k : shape.n),
                    0, &c, Int32(shape.n))
            }
            run()
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<count { run() }
            total += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            flop += 2 * Double(shape.m * shape.n * shape.k) * Double(count)
        }
        return (flop / total / 1e9, total, flop / 1e9)
    }
}
