import CBLAS
import Dispatch

/// One row-major single-precision product C [m, n] = α·op(A)·op(B) + β·C,
/// as cblas_sgemm takes it: op(A) [m, k] is A [m, k] (lda ≥ k) or, with
/// `transA`, Aᵀ of A [k, m] (lda ≥ m); op(B) [k, n] likewise.
public struct GemmProduct {
    public var transA, transB: Bool
    public var m, n, k: Int
    public var alpha: Float
    public var a: UnsafePointer<Float>
    public var lda: Int
    public var b: UnsafePointer<Float>
    public var ldb: Int
    public var beta: Float
    public var c: UnsafeMutablePointer<Float>
    public var ldc: Int

    public init(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        (self.transA, self.transB, self.m, self.n, self.k) = (transA, transB, m, n, k)
        (self.alpha, self.a, self.lda, self.b, self.ldb, self.beta, self.c, self.ldc) =
            (alpha, a, lda, b, ldb, beta, c, ldc)
    }

    /// Multiply-adds of the product.
    public var work: Int { m * n * k }

    /// Runs the product on the calling thread through OpenBLAS.
    func run() {
        guard m > 0 && n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Columns `range` of C: the same product on a slice of op(B) and C.
    func columns(_ range: Range<Int>) -> GemmProduct {
        var part = self
        part.n = range.count
        part.b = b + (transB ? range.lowerBound * ldb : range.lowerBound)
        part.c = c + range.lowerBound
        return part
    }

    /// Rows `range` of C: the same product on a slice of op(A) and C.
    func rows(_ range: Range<Int>) -> GemmProduct {
        var part = self
        part.m = range.count
        part.a = a + (transA ? range.lowerBound : range.lowerBound * lda)
        part.c = c + range.lowerBound * ldc
        return part
    }

    /// Piece p of the product cut into `parts` disjoint pieces of C along
    /// its longer side (each piece packs the whole shorter operand, so
    /// duplicating the smaller one costs least), boundaries on multiples of
    /// 16; a piece may be empty when the side has fewer blocks than parts.
    func piece(_ p: Int, of parts: Int) -> GemmProduct {
        guard parts > 1 else { return self }
        let alongColumns = n >= m
        let extent = alongColumns ? n : m
        let blocks = (extent + 15) / 16
        let range = min(blocks * p / parts * 16, extent)..<min(blocks * (p + 1) / parts * 16, extent)
        return alongColumns ? columns(range) : rows(range)
    }
}

/// Every GEMM of the engine goes through here, so the rank's T compute
/// threads are one pool: OpenBLAS runs single-threaded on each of them and
/// the products are cut into T pieces (or, for a batch of independent
/// products, handed out whole) by the same `DispatchQueue.concurrentPerform`
/// as the element-wise passes (Parallel). With OpenBLAS's own threads the
/// idle workers spin between GEMMs and take the cores from the element-wise
/// passes and Winograd's transforms (docs/PERFORMANCE.md, "Two threads").
public enum Gemm {
    /// Below this many multiply-adds a product runs whole on one thread.
    static let minimumSplitWork = 1 << 20

    public static func multiply(_ product: GemmProduct) {
        multiplyAll(count: 1) { _ in product }
    }

    /// Runs `count` independent products (disjoint outputs), product(i) the
    /// i-th, over the compute threads; nothing is allocated (the step's
    /// steady state allocates no memory, SteadyStateAllocationTests).
    public static func multiplyAll(count: Int, _ product: (Int) -> GemmProduct) {
        let threads = ComputeThreads.openBLASThreads ? 1 : ComputeThreads.cached
        var total = 0
        // product(i) is cheap and called again below: an array of the
        // products would be an allocation per call.
        for i in 0..<count { total += product(i).work }
        guard threads > 1 && total >= minimumSplitWork else {
            for i in 0..<count { product(i).run() }
            return
        }
        // Whole products when they divide evenly over the threads; else each
        // cut so that the pieces do.
        let cuts = threads / gcd(count, threads)
        let pieces = count * cuts
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for p in (pieces * t / threads)..<(pieces * (t + 1) / threads) {
                product(p / cuts).piece(p % cuts, of: cuts).run()
            }
        }
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
