import Engine
import Support
import XCTest

/// ASPPFast (the four dilated branches as one stacked GEMM and shifted sums)
/// against the readable reference, the four Conv2dLayer branches summed:
/// output, input gradient and every weight and bias gradient, on 1 and 3
/// threads, with rates whose taps fall partly and wholly outside the image.
final class ASPPFastTests: XCTestCase {
    override func tearDown() { ComputeThreads.set(1) }

    struct Run {
        var y: Tensor, gx: Tensor
        var gradients: [Float]
    }

    func run(_ aspp: ASPPLayer, store: ParameterStore, x: Tensor, gy: Tensor, reference: Bool) -> Run {
        aspp.useReferenceKernel = reference
        store.zeroGradients()
        let y = aspp.forward(x, ForwardContext(training: true))
        let gx = aspp.backward(gy, sink: DiscardGradientReports())!
        return Run(y: y, gx: gx, gradients: Array(UnsafeBufferPointer(start: store.gradients, count: store.count)))
    }

    func testStackedGEMMEqualsTheFourConvolutions() {
        let cases: [(n: Int, cin: Int, h: Int, w: Int, classes: Int, rates: [Int])] = [
            (2, 5, 9, 11, 3, [2, 3, 4, 6]),  // taps partly outside
            (1, 4, 5, 7, 2, [6, 12, 18, 24]),  // every off-centre tap wholly outside
            (2, 3, 21, 17, 4, [6, 12, 18, 24]),  // DeepLab's rates on a half-scale map: rate 24 wholly outside
        ]
        for threads in [1, 3] {
            ComputeThreads.set(threads)
            for (k, c) in cases.enumerated() {
                let store = ParameterStore()
                let aspp = ASPPLayer("aspp", store: store, cin: c.cin, classes: c.classes, rates: c.rates)
                var rng = KeyedRandom(key: UInt64(10 + k))
                for i in 0..<store.count { store.values[i] = rng.uniform(-1, 1) }
                let x = GradientCheckTests.random([c.n, c.cin, c.h, c.w], key: UInt64(20 + k))
                let gy = GradientCheckTests.random([c.n, c.classes, c.h, c.w], key: UInt64(30 + k))
                let reference = run(aspp, store: store, x: x, gy: gy, reference: true)
                let fast = run(aspp, store: store, x: x, gy: gy, reference: false)
                let label = "case \(k), \(threads) thread(s)"
                XCTAssertEqual(fast.y.shape, reference.y.shape, label)
                XCTAssertLessThan(fast.y.maxAbsDifference(reference.y), 1e-4, label)
                XCTAssertLessThan(fast.gx.maxAbsDifference(reference.gx), 1e-4, label)
                let worst = zip(fast.gradients, reference.gradients).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(worst, 1e-4, label)
                XCTAssertGreaterThan(reference.gradients.map(abs).max()!, 1, "\(label): gradients reached")
            }
        }
    }
}
