import Engine
import Support
import XCTest

/// Gemm cuts products over the compute threads (along the longer side of C,
/// or hands out whole products of a batch); every cut must give the product
/// a plain triple loop in Double gives, transposes, leading dimensions and
/// accumulation (β = 1) included.
final class GemmTests: XCTestCase {
    override func tearDown() { ComputeThreads.set(1) }

    /// op(A)·op(B)·α + β·C in Double, read through the same strides.
    static func reference(_ p: GemmProduct, cBefore: [Float]) -> [Double] {
        var out = [Double](repeating: 0, count: p.m * p.ldc)
        for i in 0..<p.m {
            for j in 0..<p.n {
                var sum = 0.0
                for l in 0..<p.k {
                    let a = p.transA ? p.a[l * p.lda + i] : p.a[i * p.lda + l]
                    let b = p.transB ? p.b[j * p.ldb + l] : p.b[l * p.ldb + j]
                    sum += Double(a) * Double(b)
                }
                out[i * p.ldc + j] = Double(p.alpha) * sum + Double(p.beta) * Double(cBefore[i * p.ldc + j])
            }
        }
        return out
    }

    struct Case {
        var transA, transB: Bool
        var m, n, k: Int
        var beta: Float
    }

    /// Random operands with padded leading dimensions, run `count` products
    /// in one multiplyAll on `threads` threads, each checked against the loop.
    func check(_ c: Case, count: Int, threads: Int, file: StaticString = #filePath, line: UInt = #line) {
        ComputeThreads.set(threads)
        var rng = KeyedRandom(key: UInt64(c.m * 131 + c.n * 7 + c.k + count))
        let (lda, ldb, ldc) = ((c.transA ? c.m : c.k) + 3, (c.transB ? c.k : c.n) + 5, c.n + 2)
        let sizes = (a: (c.transA ? c.k : c.m) * lda, b: (c.transB ? c.n : c.k) * ldb, c: c.m * ldc)
        func buffer(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            for i in 0..<n { p[i] = rng.uniform(-1, 1) }
            return p
        }
        let products = (0..<count).map { _ in
            GemmProduct(
                transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: 0.5, a: buffer(sizes.a), lda: lda,
                b: buffer(sizes.b), ldb: ldb, beta: c.beta, c: buffer(sizes.c), ldc: ldc)
        }
        let before = products.map { Array(UnsafeBufferPointer(start: $0.c, count: sizes.c)) }
        defer {
            for p in products {
                UnsafeMutablePointer(mutating: p.a).deallocate()
                UnsafeMutablePointer(mutating: p.b).deallocate()
                p.c.deallocate()
            }
        }
        Gemm.multiplyAll(count: products.count) { products[$0] }
        for (p, cBefore) in zip(products, before) {
            let expected = Self.reference(p, cBefore: cBefore)
            var worst = 0.0
            for at in 0..<sizes.c {
                // Columns beyond n are padding and must be left alone.
                let want = at % ldc < c.n ? expected[at] : Double(cBefore[at])
                worst = max(worst, abs(Double(p.c[at]) - want))
            }
            XCTAssertLessThan(
                worst, 1e-5 * Double(c.k), "\(c) count \(count) threads \(threads)", file: file, line: line)
        }
    }

    func testSplitProductsMatchTheLoop() {
        let cases = [
            Case(transA: false, transB: false, m: 37, n: 301, k: 129, beta: 0),  // cut along columns
            Case(transA: true, transB: false, m: 290, n: 45, k: 97, beta: 1),  // along rows, Aᵀ
            Case(transA: false, transB: true, m: 64, n: 200, k: 150, beta: 1),  // Bᵀ, accumulating
            Case(transA: true, transB: true, m: 210, n: 211, k: 33, beta: 0.25),
            Case(transA: false, transB: false, m: 5, n: 17, k: 3, beta: 0),  // too small to cut
        ]
        for c in cases {
            for threads in [1, 2, 3] { check(c, count: 1, threads: threads) }
        }
    }

    /// A batch of 16 (Winograd's positions): whole products per thread when
    /// 16 divides evenly, else each cut so the pieces do (3 threads: 48).
    func testBatchesOfProductsMatchTheLoop() {
        let c = Case(transA: false, transB: true, m: 48, n: 72, k: 130, beta: 1)
        for threads in [1, 2, 3, 4] { check(c, count: 16, threads: threads) }
        check(Case(transA: true, transB: false, m: 140, n: 66, k: 64, beta: 0), count: 3, threads: 2)
    }
}
