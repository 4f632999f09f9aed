import Engine
import XCTest

/// Winograd F(2×2, 3×3) and F(4×4, 3×3): the readable matrix version against
/// direct convolution, the fast kernel (forward, input and weight gradients)
/// against both, on odd sizes, every dilation of the networks,
/// asymmetric-looking padding, batches, several chunks of tiles and three threads.
final class WinogradTests: XCTestCase {
    private var algorithm = ConvAlgorithm.current
    override func setUp() { algorithm = ConvAlgorithm.current }
    override func tearDown() {
        ComputeThreads.set(1)
        Conv2dWinograd.chunkFloats = Conv2dWinograd.defaultChunkFloats
        ConvAlgorithm.current = algorithm
    }

    static func random(_ count: Int, _ key: UInt64) -> [Float] { GradientCheckTests.random([count], key: key).values }

    /// Largest |a − b| relative to the largest |b|.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        let scale = max(b.map { abs($0) }.max() ?? 0, 1e-12)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    /// Geometries: (n, cin, h, w, cout, pad, dilation).
    static let geometries: [ConvGeometry] = [
        (1, 1, 4, 4, 1, 0, 1), (1, 3, 7, 5, 2, 1, 1), (2, 4, 9, 11, 3, 1, 1), (1, 3, 13, 10, 5, 2, 2),
        (2, 2, 17, 9, 3, 0, 2), (1, 3, 19, 23, 4, 4, 4), (2, 5, 12, 7, 2, 3, 3), (1, 2, 6, 6, 3, 5, 2),
        (1, 2, 21, 18, 2, 4, 4),
        (2, 5, 9, 8, 7, 2, 2),  // 35 kernels: two blocks of 16 lanes and three alone
        // Wide planes: runs of 16 tiles inside the plane, which F(4×4) transforms in lanes.
        (1, 2, 74, 70, 2, 0, 1), (2, 2, 45, 90, 3, 2, 2),
    ].map { ConvGeometry(n: $0.0, cin: $0.1, h: $0.2, w: $0.3, cout: $0.4, kernel: 3, pad: $0.5, dilation: $0.6) }

    struct Case {
        let g: ConvGeometry
        let x, weight, bias, gradY: [Float]
        init(_ g: ConvGeometry, key: UInt64) {
            self.g = g
            x = WinogradTests.random(g.n * g.cin * g.h * g.w, key)
            weight = WinogradTests.random(g.cout * g.cin * 9, key + 1)
            bias = WinogradTests.random(g.cout, key + 2)
            gradY = WinogradTests.random(g.n * g.cout * g.hout * g.wout, key + 3)
        }
        var outputCount: Int { g.n * g.cout * g.hout * g.wout }

        func direct() -> (y: [Float], gx: [Float], gw: [Float], gb: [Float]) {
            var y = [Float](repeating: 0, count: outputCount)
            var gx = [Float](repeating: 0, count: x.count)
            var gw = [Float](repeating: 0, count: weight.count)
            var gb = [Float](repeating: 0, count: bias.count)
            Conv2dReference.forward(x: x, weight: weight, bias: bias, y: &y, g)
            Conv2dReference.backward(x: x, weight: weight, gradY: gradY, gradX: &gx, gradWeight: &gw, gradBias: &gb, g)
            return (y, gx, gw, gb)
        }

        func winograd(_ variant: WinogradVariant) -> (y: [Float], gx: [Float], gw: [Float], gb: [Float]) {
            var scratch = [Float](repeating: .nan, count: Conv2dWinograd.scratchCount(g, variant))
            var y = [Float](repeating: .nan, count: outputCount)
            var gx = [Float](repeating: .nan, count: x.count)
            var gw = [Float](repeating: 0, count: weight.count)
            var gb = [Float](repeating: 0, count: bias.count)
            Conv2dWinograd.forward(x: x, weight: weight, bias: bias, y: &y, scratch: &scratch, g, variant)
            Conv2dWinograd.backward(
                x: x, weight: weight, gradY: gradY, gradX: &gx, gradWeight: &gw, gradBias: &gb, scratch: &scratch, g,
                variant)
            return (y, gx, gw, gb)
        }
    }

    func testTilingCoversEveryOutputOnce() {
        let cases = [
            (1, 1), (2, 1), (5, 1), (7, 2), (8, 4), (9, 4), (26, 4), (30, 4), (3, 3), (13, 3), (17, 2), (35, 4),
        ]
        for m in [2, 4] {
            for (extent, d) in cases {
                let tiling = WinogradTiling(n: 1, outH: extent, outW: extent, dilation: d, tileOutputs: m)
                var rows = [Int](repeating: 0, count: extent)
                for i in 0..<tiling.tileRows {
                    let start = tiling.start(i)
                    XCTAssertLessThan(start, extent, "tile row \(i) starts outside (extent \(extent), d \(d), m \(m))")
                    for j in 0..<m where start + j * d < extent { rows[start + j * d] += 1 }
                }
                XCTAssertEqual(rows, [Int](repeating: 1, count: extent), "extent \(extent), dilation \(d), m \(m)")
                // forEach walks the columns as start() places them.
                var columns: [Int] = []
                tiling.forEach(0..<tiling.tileCols) { _, _, _, ox in columns.append(ox) }
                XCTAssertEqual(columns, (0..<tiling.tileCols).map(tiling.start), "extent \(extent), d \(d), m \(m)")
            }
        }
    }

    func testReadableWinogradEqualsDirectConvolution() {
        for variant in WinogradVariant.allCases {
            for (i, g) in Self.geometries.enumerated() {
                let c = Case(g, key: UInt64(10 * i + 1))
                var y = [Float](repeating: .nan, count: c.outputCount)
                Conv2dWinogradReference.forward(x: c.x, weight: c.weight, bias: c.bias, y: &y, g, variant)
                XCTAssertLessThan(Self.relativeError(y, c.direct().y), Self.tolerance(variant), "\(variant) \(g)")
            }
        }
    }

    /// F(4×4, 3×3)'s larger transform constants round more.
    static func tolerance(_ variant: WinogradVariant) -> Float { variant == .f2x2 ? 2e-6 : 8e-6 }

    func testFastWinogradEqualsDirectAndReadable() {
        for variant in WinogradVariant.allCases {
            let tolerance = Self.tolerance(variant)
            for threads in [1, 3] {
                ComputeThreads.set(threads)
                for (i, g) in Self.geometries.enumerated() {
                    let c = Case(g, key: UInt64(10 * i + 3))
                    let (direct, fast) = (c.direct(), c.winograd(variant))
                    var readable = [Float](repeating: .nan, count: c.outputCount)
                    Conv2dWinogradReference.forward(x: c.x, weight: c.weight, bias: c.bias, y: &readable, g, variant)
                    let about = "\(variant), \(threads) thread(s), \(g)"
                    XCTAssertLessThan(Self.relativeError(fast.y, readable), tolerance, "forward vs readable, \(about)")
                    XCTAssertLessThan(Self.relativeError(fast.y, direct.y), tolerance, "forward, \(about)")
                    XCTAssertLessThan(Self.relativeError(fast.gx, direct.gx), tolerance, "input gradient, \(about)")
                    XCTAssertLessThan(Self.relativeError(fast.gw, direct.gw), tolerance, "weight gradient, \(about)")
                    XCTAssertLessThan(Self.relativeError(fast.gb, direct.gb), 1e-6, "bias gradient, \(about)")
                }
            }
        }
    }

    /// Several chunks of tiles (the weight-gradient sums accumulate over them).
    func testManyChunksEqualOneChunk() {
        let g = ConvGeometry(n: 2, cin: 3, h: 23, w: 19, cout: 4, kernel: 3, pad: 2, dilation: 2)
        let c = Case(g, key: 77)
        for variant in WinogradVariant.allCases {
            Conv2dWinograd.chunkFloats = Conv2dWinograd.defaultChunkFloats
            let whole = c.winograd(variant)
            Conv2dWinograd.chunkFloats = variant.positions * 7 * 5  // 5 tiles per chunk
            let tiling = WinogradTiling(
                n: g.n, outH: g.hout, outW: g.wout, dilation: g.dilation, tileOutputs: variant.tileOutputs)
            XCTAssertEqual(tiling.chunk(channels: 7), 5)
            XCTAssertGreaterThan(tiling.count, 10, "\(variant): several chunks")
            let chunked = c.winograd(variant)
            XCTAssertLessThan(Self.relativeError(chunked.y, whole.y), 1e-6, "\(variant)")
            XCTAssertLessThan(Self.relativeError(chunked.gx, whole.gx), 1e-6, "\(variant)")
            // The weight gradient's sums over tiles are cut at other places.
            XCTAssertLessThan(Self.relativeError(chunked.gw, whole.gw), Self.tolerance(variant) / 2, "\(variant)")
        }
    }

    /// The layer picks the kernel from ConvAlgorithm.current; both agree on a
    /// network-sized convolution (channels above `auto`'s threshold).
    func testLayerAlgorithmsAgree() {
        let store = ParameterStore()
        let layer = Conv2dLayer("c", store: store, cin: 64, cout: 96, kernel: 3, pad: 2, dilation: 2, bias: true)
        store.set("c.weight", GradientCheckTests.random([96, 64, 3, 3], key: 5))
        store.set("c.bias", GradientCheckTests.random([96], key: 4))
        let x = GradientCheckTests.random([2, 64, 15, 13], key: 6)
        let gy = GradientCheckTests.random([2, 96, 15, 13], key: 7)
        var results: [(y: [Float], gx: [Float], gw: [Float])] = []
        for algorithm in [ConvAlgorithm.gemm, .winograd, .winograd4, .auto] {
            ConvAlgorithm.current = algorithm
            store.zeroGradients()
            let y = layer.forward(x, ForwardContext(training: true))
            let gx = layer.backward(gy, sink: DiscardGradientReports())!
            results.append((y.values, gx.values, store.gradientTensor("c.weight").values))
        }
        XCTAssertNotNil(ConvAlgorithm.auto.winogradVariant(layer.geometry(for: x)))
        for r in results.dropFirst() {
            XCTAssertLessThan(Self.relativeError(r.y, results[0].y), 8e-6)
            XCTAssertLessThan(Self.relativeError(r.gx, results[0].gx), 8e-6)
            XCTAssertLessThan(Self.relativeError(r.gw, results[0].gw), 8e-6)
        }
        XCTAssertNotEqual(results[1].y, results[0].y, "the algorithms round differently: F(2×2) did not run")
        XCTAssertNotEqual(results[2].y, results[0].y, "the algorithms round differently: F(4×4) did not run")
        XCTAssertNotEqual(results[2].y, results[1].y, "the algorithms round differently: F(4×4) did not run")
    }

    /// `auto`'s choices on ResNet-38's 3×3 layers at batch 2, as measured
    /// (docs/PERFORMANCE.md): F(4×4) on 28² at dilations 1 and 4 and on 56²,
    /// F(2×2) on 28² at dilation 2, where F(4×4)'s tiles overhang the plane;
    /// im2col below 64 channels.
    func testAutoPicksTheMeasuredVariant() {
        func choice(_ cin: Int, _ size: Int, _ d: Int) -> WinogradVariant? {
            ConvAlgorithm.auto.winogradVariant(
                ConvGeometry(n: 2, cin: cin, h: size, w: size, cout: cin, kernel: 3, pad: d, dilation: d))
        }
        XCTAssertEqual(choice(512, 28, 1), .f4x4)
        XCTAssertEqual(choice(512, 28, 4), .f4x4)
        XCTAssertEqual(choice(512, 28, 2), .f2x2)
        XCTAssertEqual(choice(256, 56, 1), .f4x4)
        XCTAssertEqual(choice(512, 56, 2), .f4x4)
        XCTAssertNil(choice(32, 56, 1))
        // The batch does not change the choice (a global batch split over ranks keeps its kernels).
        for n in [1, 3, 8] {
            let g = ConvGeometry(n: n, cin: 512, h: 28, w: 28, cout: 512, kernel: 3, pad: 2, dilation: 2)
            XCTAssertEqual(ConvAlgorithm.auto.winogradVariant(g), .f2x2, "batch \(n)")
        }
        XCTAssertEqual(
            ConvAlgorithm.winograd.winogradVariant(
                ConvGeometry(
                    n: 2, cin: 8, h: 9, w: 9, cout: 8, kernel: 3, pad: 1, dilation: 1)), .f2x2)
        XCTAssertNil(
            ConvAlgorithm.winograd4.winogradVariant(
                ConvGeometry(
                    n: 2, cin: 8, h: 9, w: 9, cout: 8, kernel: 3, stride: 2, pad: 1, dilation: 1)))
    }

    /// Rounding of each algorithm against a float64 direct convolution on a
    /// network-sized layer (256 → 64 channels, 28 × 28, dilation 2 as b5):
    /// printed for docs/PERFORMANCE.md; Winograd F(2×2, 3×3) must stay within
    /// 4× of im2col + sgemm's rms error, F(4×4, 3×3) within 16×, and both
    /// within 1e-5 relative to the largest output.
    func testRoundingAgainstFloat64() {
        let g = ConvGeometry(n: 1, cin: 256, h: 28, w: 28, cout: 64, kernel: 3, pad: 2, dilation: 2)
        let c = Case(g, key: 91)
        var exact = [Double](repeating: 0, count: c.outputCount)
        for co in 0..<g.cout {
            for oy in 0..<g.hout {
                for ox in 0..<g.wout {
                    var acc = Double(c.bias[co])
                    for ci in 0..<g.cin {
                        for ky in 0..<3 {
                            let iy = oy - g.pad + ky * g.dilation
                            guard iy >= 0, iy < g.h else { continue }
                            for kx in 0..<3 {
                                let ix = ox - g.pad + kx * g.dilation
                                guard ix >= 0, ix < g.w else { continue }
                                acc +=
                                    Double(c.x[(ci * g.h + iy) * g.w + ix])
                                    * Double(c.weight[((co * g.cin + ci) * 3 + ky) * 3 + kx])
                            }
                        }
                    }
                    exact[(co * g.hout + oy) * g.wout + ox] = acc
                }
            }
        }
        let scale = exact.map { abs($0) }.max()!
        func errors(_ y: [Float]) -> (max: Double, rms: Double) {
            let d = zip(y, exact).map { Double($0) - $1 }
            return (
                d.map { abs($0) }.max()! / scale,
                (d.map { $0 * $0 }.reduce(0, +) / Double(d.count)).squareRoot() / scale
            )
        }
        var gemm = [Float](repeating: 0, count: c.outputCount)
        var scratch = [Float](repeating: 0, count: Conv2dFast.scratchCount(g))
        Conv2dFast.forward(x: c.x, weight: c.weight, bias: c.bias, y: &gemm, scratch: &scratch, g)
        let (e1, e2, e4) = (errors(gemm), errors(c.winograd(.f2x2).y), errors(c.winograd(.f4x4).y))
        print(
            String(
                format: "rounding vs float64 (relative to the largest output): gemm max %.2e rms %.2e; "
                    + "winograd F(2x2,3x3) max %.2e rms %.2e; F(4x4,3x3) max %.2e rms %.2e", e1.max, e1.rms,
                e2.max, e2.rms, e4.max, e4.rms))
        XCTAssertLessThan(e2.max, 1e-5)
        XCTAssertLessThan(e2.rms, 4 * e1.rms)
        XCTAssertLessThan(e4.max, 1e-5)
        XCTAssertLessThan(e4.rms, 16 * e1.rms)
    }
}
