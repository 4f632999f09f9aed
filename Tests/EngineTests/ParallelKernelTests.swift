import Engine
import Support
import XCTest

/// The element-wise kernels split their work over the rank's threads
/// (Parallel.ranges) only on large inputs, which the other tests (one thread,
/// small shapes) never reach. Here they run on 3 threads over shapes that
/// split unevenly, against readable one-loop references.
final class ParallelKernelTests: XCTestCase {
    override func setUp() { ComputeThreads.set(3) }
    override func tearDown() { ComputeThreads.set(1) }

    static func random(_ shape: [Int], _ key: UInt64) -> Tensor { GradientCheckTests.random(shape, key: key) }

    func testReLUAddAndDropoutMatchPlainLoops() {
        let shape = [2, 5, 123, 171]  // 210 330 values: three ranges of unequal length
        let x = Self.random(shape, 1)
        let g = Self.random(shape, 2)
        let y = ReLU.forward(x)
        let gx = ReLU.backward(gradY: g, output: y)
        XCTAssertEqual(y.values, x.values.map { $0 > 0 ? $0 : 0 })
        XCTAssertEqual(gx.values, zip(g.values, x.values).map { $1 > 0 ? $0 : 0 })

        var sum = x
        sum.add(g)
        XCTAssertEqual(sum.values, zip(x.values, g.values).map { $0 + $1 })
        XCTAssertEqual(x.values, Self.random(shape, 1).values, "add must not write through to a copy's buffer")

        let mask = Dropout2d.mask(sampleKeys: [4, 9], channels: 5, p: 0.5, salt: 1)
        let plane = 123 * 171
        XCTAssertEqual(
            Dropout2d.apply(x, mask: mask).values, x.values.enumerated().map { $0.element * mask[$0.offset / plane] })
    }

    /// BatchNorm in both modes, forward and backward with parameter gradients,
    /// against the textbook formulas in Double.
    func testBatchNormMatchesTheFormulas() {
        let (n, c, h, w) = (2, 5, 131, 127)  // n·h·w ≥ 32768: the channels split over the threads
        let plane = h * w
        let m = Double(n * plane)
        let x = Self.random([n, c, h, w], 3)
        let gy = Self.random([n, c, h, w], 4)
        let weight = Self.random([c], 5).values.map { $0 + 1.5 }
        let bias = Self.random([c], 6).values
        for training in [false, true] {
            var runningMean = Self.random([c], 7).values
            var runningVar = Self.random([c], 8).values.map { $0 + 1.5 }
            let startMean = runningMean
            let startVar = runningVar
            var gw = [Float](repeating: 0, count: c)
            var gb = [Float](repeating: 0, count: c)
            let (y, cache) = BatchNorm.forward(
                x, weight: weight, bias: bias, runningMean: &runningMean, runningVar: &runningVar,
                training: training, keepInput: true)
            let gx = BatchNorm.backward(gradY: gy, cache: cache, weight: weight, gradWeight: &gw, gradBias: &gb)!
            var worst = 0.0
            for ch in 0..<c {
                var indices: [Int] = []
                for b in 0..<n { indices += Array(((b * c + ch) * plane)..<((b * c + ch + 1) * plane)) }
                var batchMean = 0.0
                var batchVar = 0.0
                for i in indices { batchMean += Double(x[i]) }
                batchMean /= m
                for i in indices {
                    let d = Double(x[i]) - batchMean
                    batchVar += d * d
                }
                batchVar /= m
                let mean = training ? batchMean : Double(startMean[ch])
                let variance = training ? batchVar : Double(startVar[ch])
                let invStd = 1 / (variance + 1e-5).squareRoot()
                var xHat: [Double] = []
                var sumG = 0.0
                var sumGX = 0.0
                for i in indices {
                    let v = (Double(x[i]) - mean) * invStd
                    xHat.append(v)
                    sumG += Double(gy[i])
                    sumGX += Double(gy[i]) * v
                }
                for (k, i) in indices.enumerated() {
                    let expectY = xHat[k] * Double(weight[ch]) + Double(bias[ch])
                    let scale = Double(weight[ch]) * invStd
                    let g = Double(gy[i])
                    let expectGX: Double = training ? scale * (g - sumG / m - xHat[k] * sumGX / m) : scale * g
                    worst = max(worst, abs(Double(y[i]) - expectY))
                    worst = max(worst, abs(Double(gx[i]) - expectGX))
                }
                XCTAssertEqual(Double(gw[ch]), sumGX, accuracy: 1e-3 * max(abs(sumGX), 1), "grad weight, channel \(ch)")
                XCTAssertEqual(Double(gb[ch]), sumG, accuracy: 1e-3 * max(abs(sumG), 1), "grad bias, channel \(ch)")
                if training {
                    XCTAssertEqual(
                        Double(runningMean[ch]), 0.9 * Double(startMean[ch]) + 0.1 * batchMean, accuracy: 1e-5)
                    XCTAssertEqual(
                        Double(runningVar[ch]), 0.9 * Double(startVar[ch]) + 0.1 * batchVar * m / (m - 1),
                        accuracy: 1e-5)
                } else {
                    XCTAssertEqual(runningMean[ch], startMean[ch], "eval mode must not touch the running mean")
                    XCTAssertEqual(runningVar[ch], startVar[ch], "eval mode must not touch the running variance")
                }
            }
            XCTAssertLessThan(worst, 1e-4, "training=\(training)")
        }
    }

    /// im2col/col2im split over channels (their stride-1 fast paths included)
    /// against the readable convolution loop.
    func testFastConvolutionMatchesReferenceOnThreeThreads() {
        for (kernel, stride, pad, dilation) in [(3, 1, 1, 1), (3, 2, 1, 1), (3, 1, 4, 4), (7, 2, 3, 1)] {
            let g = ConvGeometry(
                n: 1, cin: 5, h: 61, w: 47, cout: 4, kernel: kernel, stride: stride, pad: pad, dilation: dilation)
            XCTAssertLessThan(
                LayerGradientTests.convolutionTierDifference(g), 1e-5, "k\(kernel) s\(stride) p\(pad) d\(dilation)")
        }
    }
}
