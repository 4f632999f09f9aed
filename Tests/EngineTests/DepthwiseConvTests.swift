import Engine
import Support
import XCTest

/// Depthwise convolution (groups = channels), "SAME" padding and ReLU6:
/// the fast kernels against the readable ones, the readable ones against
/// finite differences (PyTorch cases: Golden/dwconv_*).
final class DepthwiseConvTests: XCTestCase {
    struct Run {
        var y: [Float], gx: [Float], gw: [Float], gb: [Float]
    }

    static func run(_ g: ConvGeometry, x: [Float], w: [Float], b: [Float]?, gy: [Float], fast: Bool) -> Run {
        var r = Run(
            y: .init(repeating: .nan, count: g.outputShape.reduce(1, *)), gx: .init(repeating: .nan, count: x.count),
            gw: .init(repeating: 0, count: w.count), gb: .init(repeating: 0, count: g.cout))
        let forward = fast ? DepthwiseConv2dFast.forward : DepthwiseConv2dReference.forward
        let backward = fast ? DepthwiseConv2dFast.backward : DepthwiseConv2dReference.backward
        b.withUnsafeOptionalPointer { bp in
            forward(x, w, bp, &r.y, g)
            r.gb.withUnsafeMutableBufferPointer { gbp in
                backward(x, w, gy, &r.gx, &r.gw, bp == nil ? nil : gbp.baseAddress, g)
            }
        }
        return r
    }

    static func random(_ count: Int, key: UInt64) -> [Float] {
        GradientCheckTests.random([count], key: key).values
    }

    static func assertClose(_ a: [Float], _ b: [Float], _ what: String, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, line: line)
        let scale = max(b.map(abs).max() ?? 0, 1)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-5 * scale, what, line: line)
    }

    /// Odd and tiny sizes, strides 1 and 2, dilation, symmetric and asymmetric padding, batch > 1.
    func testFastMatchesReference() {
        var cases: [ConvGeometry] = []
        var key: UInt64 = 1
        for (n, c, h, w) in [(1, 1, 1, 1), (2, 3, 7, 9), (3, 5, 10, 11), (2, 4, 2, 3), (1, 6, 16, 13)] {
            for k in [1, 3, 5] {
                for stride in [1, 2] {
                    for dilation in [1, 2, 3] where k > 1 || dilation == 1 {
                        for padding in [
                            ConvPadding.same(kernel: k, stride: stride, dilation: dilation), .symmetric(0),
                            ConvPadding(begin: 2, end: 0),
                        ] {
                            let g = ConvGeometry(
                                n: n, cin: c, h: h, w: w, cout: c, kernel: k, stride: stride, padding: padding,
                                dilation: dilation, groups: c)
                            if g.hout > 0 && g.wout > 0 { cases.append(g) }
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(cases.count, 150)
        for g in cases {
            key += 4
            let x = Self.random(g.n * g.cin * g.h * g.w, key: key)
            let w = Self.random(g.weightShape.reduce(1, *), key: key + 1)
            let b = key % 8 == 1 ? Self.random(g.cout, key: key + 2) : nil
            let gy = Self.random(g.outputShape.reduce(1, *), key: key + 3)
            let slow = Self.run(g, x: x, w: w, b: b, gy: gy, fast: false)
            let fast = Self.run(g, x: x, w: w, b: b, gy: gy, fast: true)
            let what = "\(g.n)×\(g.cin)×\(g.h)×\(g.w) k\(g.kh) s\(g.stride) d\(g.dilation) pad \(g.padding)"
            Self.assertClose(fast.y, slow.y, "y " + what)
            Self.assertClose(fast.gx, slow.gx, "grad x " + what)
            Self.assertClose(fast.gw, slow.gw, "grad w " + what)
            Self.assertClose(fast.gb, slow.gb, "grad b " + what)
        }
    }

    /// The reference backward against central differences of L = Σ y·gy
    /// (linear in x and w, so the difference is exact up to rounding).
    func testReferenceBackwardMatchesFiniteDifferences() {
        let g = ConvGeometry(
            n: 2, cin: 3, h: 7, w: 6, cout: 3, kernel: 5, stride: 2, padding: .same(kernel: 5, stride: 2),
            dilation: 1, groups: 3)
        var x = Self.random(g.n * g.cin * g.h * g.w, key: 71)
        var w = Self.random(g.weightShape.reduce(1, *), key: 72)
        let gy = Self.random(g.outputShape.reduce(1, *), key: 73)
        let analytic = Self.run(g, x: x, w: w, b: nil, gy: gy, fast: false)
        func loss() -> Double {
            let y = Self.run(g, x: x, w: w, b: nil, gy: gy, fast: false).y
            return zip(y, gy).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let eps: Float = 0.01
        for i in stride(from: 0, to: x.count, by: 7) {
            let v = x[i]
            x[i] = v + eps
            let plus = loss()
            x[i] = v - eps
            let minus = loss()
            x[i] = v
            XCTAssertEqual(Double(analytic.gx[i]), (plus - minus) / Double(2 * eps), accuracy: 1e-3, "grad x[\(i)]")
        }
        for i in 0..<w.count {
            let v = w[i]
            w[i] = v + eps
            let plus = loss()
            w[i] = v - eps
            let minus = loss()
            w[i] = v
            XCTAssertEqual(Double(analytic.gw[i]), (plus - minus) / Double(2 * eps), accuracy: 1e-3, "grad w[\(i)]")
        }
    }

    /// TensorFlow "SAME" as the EfficientNet-Lite port pads for its 224 input.
    func testSamePadding() {
        XCTAssertEqual(ConvPadding.same(kernel: 3, stride: 2), ConvPadding(begin: 0, end: 1))
        XCTAssertEqual(ConvPadding.same(kernel: 5, stride: 2), ConvPadding(begin: 1, end: 2))
        XCTAssertEqual(ConvPadding.same(kernel: 3, stride: 1), .symmetric(1))
        XCTAssertEqual(ConvPadding.same(kernel: 5, stride: 1, dilation: 2), .symmetric(4))
        XCTAssertEqual(ConvPadding.same(kernel: 1, stride: 1), .symmetric(0))
        let g = ConvGeometry(
            n: 1, cin: 3, h: 224, w: 224, cout: 8, kernel: 3, stride: 2, padding: .same(kernel: 3, stride: 2))
        XCTAssertEqual([g.hout, g.wout], [112, 112])
        let store = ParameterStore()
        let layer = Conv2dLayer(
            "dw", store: store, cin: 6, cout: 6, kernel: 5, stride: 2, padding: .same(kernel: 5, stride: 2),
            groups: 6)
        XCTAssertEqual(store.entry("dw.weight")?.shape, [6, 1, 5, 5])
        XCTAssertEqual(layer.forward(Tensor(zeros: [2, 6, 56, 56]), .inference).shape, [2, 6, 28, 28])
    }

    /// ReLU6 forward and backward side by side: the gradient passes only strictly inside (0, 6), as PyTorch.
    func testReLU6() {
        let x = Tensor(shape: [1, 1, 1, 6], data: [-1, 0, 0.5, 5.9, 6, 7.5])
        let y = ReLU6.forward(x)
        XCTAssertEqual(y.values, [0, 0, 0.5, 5.9, 6, 6])
        let g = ReLU6.backward(gradY: Tensor(shape: x.shape, data: [1, 2, 3, 4, 5, 6]), output: y)
        XCTAssertEqual(g.values, [0, 0, 3, 4, 0, 0])
    }
}
