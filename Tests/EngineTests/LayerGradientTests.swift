import Engine
import Support
import XCTest

/// Finite differences for every layer's backward: for y = f(x) and a random
/// upstream g, the analytic ⟨∂(g·y)/∂x, v⟩ must match (g·f(x+εv) − g·f(x−εv))/2ε
/// along a random direction v (Double accumulation, ε small; inputs kept away
/// from kinks where the layer has them).
final class LayerGradientTests: XCTestCase {
    static func random(_ shape: [Int], _ key: UInt64, scale: Float = 1) -> Tensor {
        GradientCheckTests.random(shape, key: key, scale: scale)
    }

    static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += Double(a[i]) * Double(b[i]) }
        return s
    }

    /// Checks the VJP `backward(g)` of `forward` at x along a random direction.
    func check(
        _ name: String, x: Tensor, eps: Float = 1e-2, tolerance: Double = 2e-3,
        forward: (Tensor) -> Tensor, backward: (Tensor) -> Tensor, file: StaticString = #filePath, line: UInt = #line
    ) {
        let y = forward(x)
        let g = Self.random(y.shape, 77)
        let gx = backward(g)
        let v = Self.random(x.shape, 78)
        var plus = x
        var minus = x
        for i in 0..<x.count {
            plus[i] += eps * v[i]
            minus[i] -= eps * v[i]
        }
        let numeric = (Self.dot(g, forward(plus)) - Self.dot(g, forward(minus))) / (2 * Double(eps))
        let analytic = Self.dot(gx, v)
        XCTAssertEqual(
            analytic, numeric, accuracy: tolerance * max(abs(numeric), 1),
            "\(name): analytic \(analytic) vs numeric \(numeric)",
            file: file, line: line)
    }

    func testConvolutionBothKernels() {
        for (kernel, stride, pad, dilation) in [(3, 1, 1, 1), (3, 2, 1, 1), (1, 2, 0, 1), (3, 1, 2, 2), (1, 1, 0, 1)] {
            for variant in ["reference", "fast", "winograd", "winograd4"] {
                let previous = ConvAlgorithm.current
                defer { ConvAlgorithm.current = previous }
                ConvAlgorithm.current = ConvAlgorithm(rawValue: variant) ?? .gemm
                let store = ParameterStore()
                let conv = Conv2dLayer(
                    "c", store: store, cin: 3, cout: 4, kernel: kernel, stride: stride, pad: pad, dilation: dilation,
                    bias: true)
                conv.useReferenceKernel = variant == "reference"
                let w = Self.random([4, 3, kernel, kernel], 5)
                store.set("c.weight", w)
                store.set("c.bias", Self.random([4], 6))
                let x = Self.random([2, 3, 7, 6], 7)
                check(
                    "conv k\(kernel) s\(stride) d\(dilation) \(variant) input", x: x,
                    forward: { conv.forward($0, ForwardContext(training: true)) },
                    backward: { conv.backward($0, sink: DiscardGradientReports())! })
                // Weight gradient: the same check with the weight as the variable.
                let g = Self.random(conv.forward(x, ForwardContext(training: true)).shape, 77)
                store.zeroGradients()
                _ = conv.forward(x, ForwardContext(training: true))
                _ = conv.backward(g, sink: DiscardGradientReports())
                let gw = store.gradientTensor("c.weight")
                check(
                    "conv weight", x: w,
                    forward: { wt in
                        store.set("c.weight", wt)
                        return conv.forward(x, ForwardContext(training: true))
                    },
                    backward: { _ in gw })
                store.set("c.weight", w)
            }
        }
    }

    /// Largest difference between the reference and the fast convolution
    /// (forward with bias, all three gradients) on random data, relative to
    /// the largest value.
    static func convolutionTierDifference(_ g: ConvGeometry) -> Float {
        let x = random([g.n, g.cin, g.h, g.w], 1)
        let w = random(g.weightShape, 2)
        let b = random([g.cout], 3)
        let gy = random(g.outputShape, 4)
        var outputs: [[Float]] = []
        for fast in [false, true] {
            // NaN where both kernels must overwrite every element; zeros where they accumulate.
            var y = [Float](repeating: .nan, count: g.outputShape.reduce(1, *))
            var gx = [Float](repeating: .nan, count: x.count)
            var gw = [Float](repeating: 0, count: w.count)
            var gb = [Float](repeating: 0, count: g.cout)
            var scratch = [Float](repeating: 0, count: Conv2dFast.scratchCount(g))
            if fast {
                Conv2dFast.forward(x: x.values, weight: w.values, bias: b.values, y: &y, scratch: &scratch, g)
                Conv2dFast.backward(
                    x: x.values, weight: w.values, gradY: gy.values, gradX: &gx, gradWeight: &gw, gradBias: &gb,
                    scratch: &scratch, g)
            } else {
                Conv2dReference.forward(x: x.values, weight: w.values, bias: b.values, y: &y, g)
                Conv2dReference.backward(
                    x: x.values, weight: w.values, gradY: gy.values, gradX: &gx, gradWeight: &gw, gradBias: &gb, g)
            }
            outputs.append(y + gx + gw + gb)
        }
        // An element left unwritten stays NaN.
        guard outputs.allSatisfy({ !$0.contains(where: \.isNaN) }) else { return .infinity }
        let scale = outputs[0].reduce(0) { max($0, abs($1)) }
        return zip(outputs[0], outputs[1]).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) } / scale
    }

    /// The two kernel tiers agree on bigger, odd shapes too.
    func testFastConvolutionMatchesReference() {
        for (kernel, stride, pad, dilation) in [
            (3, 1, 1, 1), (3, 2, 1, 1), (7, 2, 3, 1), (3, 1, 4, 4), (1, 1, 0, 1), (1, 2, 0, 1),
        ] {
            let g = ConvGeometry(
                n: 2, cin: 5, h: 13, w: 11, cout: 6, kernel: kernel, stride: stride, pad: pad, dilation: dilation)
            XCTAssertLessThan(Self.convolutionTierDifference(g), 1e-5, "k\(kernel) s\(stride) p\(pad) d\(dilation)")
        }
    }

    func testBatchNormTrainAndEval() {
        let x = Self.random([3, 4, 3, 2], 11)
        let weight = Self.random([4], 12).values.map { $0 + 1.5 }
        let bias = Self.random([4], 13).values
        for training in [true, false] {
            var cache: BatchNorm.Cache?
            check(
                "batchnorm training=\(training)", x: x,
                forward: {
                    var m = [Float](repeating: 0.1, count: 4)
                    var v = [Float](repeating: 0.9, count: 4)
                    let (y, c) = BatchNorm.forward(
                        $0, weight: weight, bias: bias, runningMean: &m, runningVar: &v, training: training)
                    cache = c
                    return y
                },
                backward: {
                    BatchNorm.backward(gradY: $0, cache: cache!, weight: weight, gradWeight: nil, gradBias: nil)!
                })
        }
    }

    func testReLUAndPoolingAndSoftmax() {
        // Away from the ReLU kink and from max-pool ties: values spaced ≥ 0.05.
        var x = Tensor(zeros: [2, 3, 7, 6])
        var rng = KeyedRandom(key: 21)
        let values = rng.permutation(x.count).map { Float($0) * 0.05 - Float(x.count) * 0.025 + 0.013 }
        x = Tensor(shape: x.shape, data: values)
        check(
            "relu", x: x, eps: 1e-3, forward: { ReLU.forward($0) },
            backward: { ReLU.backward(gradY: $0, output: ReLU.forward(x)) })
        let pool = MaxPool.forward(x, kernel: 3, stride: 2, pad: 1)
        check(
            "maxpool", x: x, eps: 1e-3, forward: { MaxPool.forward($0, kernel: 3, stride: 2, pad: 1).y },
            backward: { MaxPool.backward(gradY: $0, argmax: pool.argmax, inputShape: x.shape) })
        check(
            "global average pool", x: x, forward: { GlobalAveragePool.forward($0) },
            backward: { GlobalAveragePool.backward(gradY: $0, inputShape: x.shape) })
        check(
            "softmax", x: x, forward: { ChannelSoftmax.forward($0) },
            backward: { ChannelSoftmax.backward(gradY: $0, y: ChannelSoftmax.forward(x)) })
    }

    func testResizes() {
        let x = Self.random([1, 2, 5, 7], 31)
        for corners in [false, true] {
            for (h, w) in [(13, 17), (3, 4)] {
                check(
                    "bilinear ac\(corners) \(h)×\(w)", x: x,
                    forward: { BilinearResize.forward($0, height: h, width: w, alignCorners: corners) },
                    backward: { BilinearResize.backward(gradY: $0, inputShape: x.shape, alignCorners: corners) })
            }
        }
        check(
            "nearest", x: x, forward: { NearestResize.forward($0, height: 11, width: 3) },
            backward: { NearestResize.backward(gradY: $0, inputShape: x.shape) })
    }

    func testDropoutIsKeyedPerSampleAndItsOwnBackward() {
        let layer = Dropout2dLayer(p: 0.5, salt: 3)
        let context = ForwardContext(training: true, sampleKeys: [10, 11])
        let x = Self.random([2, 8, 3, 3], 41)
        check(
            "dropout2d", x: x, forward: { layer.forward($0, context) },
            backward: { layer.backward($0, sink: DiscardGradientReports())! })
        // The mask of a sample depends on its key only, not on its batch neighbours.
        let alone = Dropout2d.mask(sampleKeys: [11], channels: 8, p: 0.5, salt: 3)
        let pair = Dropout2d.mask(sampleKeys: [10, 11], channels: 8, p: 0.5, salt: 3)
        XCTAssertEqual(Array(pair[8..<16]), alone)
        XCTAssertTrue(pair.allSatisfy { $0 == 0 || $0 == 2 })
        // Inference: identity.
        XCTAssertEqual(layer.forward(x, .inference).values, x.values)
    }

    func testLossesAgainstFiniteDifferences() {
        let cam = Self.random([2, 5, 6, 6], 51, scale: 2)
        let saliency = Tensor(
            shape: [2, 1, 12, 12], data: Self.random([2, 1, 12, 12], 52).values.map { $0 * 0.45 + 0.5 })
        let labels: [Float] = [1, 0, 1, 0, 0, 1, 0, 0]
        // The discrete choices (rounding, overlap > tau) are piecewise constant: a small ε stays on one piece.
        check(
            "EPS objective", x: cam, eps: 1e-3,
            forward: { c in
                Tensor(
                    shape: [1],
                    data: [EPSObjective.compute(cam: c, saliency: saliency, labels: labels, tau: 0.4, lam: 0.5).total])
            },
            backward: { g in
                var grad = EPSObjective.compute(cam: cam, saliency: saliency, labels: labels, tau: 0.4, lam: 0.5)
                    .gradCam
                for i in 0..<grad.count { grad[i] *= g[0] }
                return grad
            })
    }
}
