import Engine
import XCTest

/// The forward im2col runs in bands of output rows when a whole image's
/// columns exceed `Conv2dFast.forwardBandFloats` (bounded inference memory);
/// with a budget of a few rows the output must equal the direct convolution,
/// strides, dilation, padding and odd sizes included, on 1 and 3 threads.
final class Conv2dBandTests: XCTestCase {
    override func tearDown() {
        Conv2dFast.forwardBandFloats = 1 << 23
        ComputeThreads.set(1)
    }

    func testBandedForwardMatchesDirectConvolution() {
        let geometries = [
            ConvGeometry(n: 2, cin: 3, h: 17, w: 13, cout: 4, kernel: 3, stride: 2, pad: 1),
            ConvGeometry(n: 1, cin: 2, h: 19, w: 11, cout: 3, kernel: 3, pad: 2, dilation: 2),
            ConvGeometry(n: 1, cin: 4, h: 9, w: 10, cout: 5, kernel: 1, stride: 2),
            ConvGeometry(n: 2, cin: 3, h: 23, w: 7, cout: 2, kernel: 5, stride: 3, pad: 2),
        ]
        for (i, g) in geometries.enumerated() {
            let key = UInt64(40 + 4 * i)
            let x = WinogradTests.random(g.n * g.cin * g.h * g.w, key)
            let weight = WinogradTests.random(g.cout * g.cin * g.kh * g.kw, key + 1)
            let bias = WinogradTests.random(g.cout, key + 2)
            var direct = [Float](repeating: 0, count: g.n * g.cout * g.hout * g.wout)
            Conv2dReference.forward(x: x, weight: weight, bias: bias, y: &direct, g)
            for (budgetRows, threads) in [(1, 1), (2, 3), (3, 1), (g.hout, 1)] {
                Conv2dFast.forwardBandFloats = budgetRows * g.patch * g.wout
                ComputeThreads.set(threads)
                XCTAssertEqual(
                    Conv2dFast.forwardScratchCount(g), g.isPointwise ? 0 : min(budgetRows, g.hout) * g.patch * g.wout)
                var scratch = [Float](repeating: .nan, count: Conv2dFast.forwardScratchCount(g))
                var y = [Float](repeating: .nan, count: direct.count)
                Conv2dFast.forward(x: x, weight: weight, bias: bias, y: &y, scratch: &scratch, g)
                XCTAssertLessThan(
                    WinogradTests.relativeError(y, direct), 1e-5, "geometry \(i), \(budgetRows) row(s) per band")
            }
        }
    }
}
