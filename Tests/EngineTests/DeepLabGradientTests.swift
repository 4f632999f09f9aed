import Engine
import Support
import XCTest

/// Finite differences of the DeepLab-v2 pieces (LayerGradientTests.check: a random direction,
/// Double accumulation): the segmentation cross-entropy with ignored pixels, ASPP, the caffe
/// bottleneck on frozen and on trained BN, the multi-scale max, and the whole tiny model's loss.
extension LayerGradientTests {
    func testSegmentationCrossEntropyAgainstFiniteDifferences() {
        let logits = Self.random([2, 5, 4, 3], 61, scale: 2)
        var rng = KeyedRandom(key: 62)
        let labels = (0..<(2 * 4 * 3)).map { i in i % 5 == 0 ? 255 : UInt8(rng.uniform(0, 4.99)) }
        check(
            "segmentation cross-entropy", x: logits, eps: 1e-3,
            forward: { Tensor(shape: [1], data: [SegmentationCrossEntropy.compute(logits: $0, labels: labels).loss]) },
            backward: { g in
                var grad = SegmentationCrossEntropy.compute(logits: logits, labels: labels).grad
                grad.scale(by: g[0])
                return grad
            })
    }

    func testASPPAgainstFiniteDifferences() {
        let store = ParameterStore()
        let layer = ASPPLayer("aspp", store: store, cin: 3, classes: 4, rates: [1, 2, 3, 5])
        for (i, entry) in store.entries.enumerated() {
            store.set(entry.name, Self.random(entry.shape, 70 + UInt64(i), scale: 0.5))
        }
        let x = Self.random([2, 3, 7, 6], 69)
        let context = ForwardContext(training: true)
        check(
            "aspp input", x: x, forward: { layer.forward($0, context) },
            backward: { layer.backward($0, sink: DiscardGradientReports())! })
        for name in ["aspp.c2.weight", "aspp.c3.bias"] {
            checkParameter("aspp", name, store: store, layer: layer, x: x, context: context)
        }
    }

    /// BN parameters that keep every ReLU input at least 0.8 from its kink (a difference quotient across a kink
    /// is not the derivative): reduce/conv3x3 channels on (bias +2) or off (−2) in turn, increase and shortcut
    /// on, so the block sum is ≥ 2; γ 0.3 keeps |γ·normalized| ≤ 1.2. The golden cases cover mixed gates.
    func testCaffeBottleneckAgainstFiniteDifferences() {
        for (batchNorm, stride, dilation) in [(DeepLabBatchNorm.frozen, 2, 1), (.frozen, 1, 2), (.trainable, 2, 1)] {
            let store = ParameterStore()
            let block = CaffeBottleneck(
                "blk", store: store, cin: 4, cout: 8, stride: stride, dilation: dilation, downsample: true,
                batchNorm: batchNorm)
            for (i, entry) in store.entries.enumerated() {
                var values = Self.random(entry.shape, 80 + UInt64(i), scale: 0.5).values
                if entry.name.hasSuffix("running_var") { values = values.map { $0 + 1 } }
                if entry.name.hasSuffix("bn.weight") { values = values.map { _ in 0.3 } }
                if entry.name.hasSuffix("bn.bias") {
                    let gated = entry.name.contains("reduce") || entry.name.contains("conv3x3")
                    values = values.indices.map { c in gated && c % 2 == 1 ? -2 : 2 }
                }
                store.set(entry.name, Tensor(shape: entry.shape, data: values))
            }
            block.planBackward()
            let context = ForwardContext(training: true)
            let x = Self.random([2, 4, 9, 8], 79)
            let label = "caffe bottleneck \(batchNorm) s\(stride) d\(dilation)"
            check(
                "\(label) input", x: x, forward: { block.forward($0, context) },
                backward: { block.backward($0, sink: DiscardGradientReports())! })
            for name in ["blk.reduce.conv.weight", "blk.shortcut.conv.weight"] {
                checkParameter(label, name, store: store, layer: block, x: x, context: context)
            }
        }
    }

    /// The parameter `name` as the variable: the analytic gradient from one forward and backward with the
    /// upstream gradient that `check` draws.
    func checkParameter(
        _ label: String, _ name: String, store: ParameterStore, layer: Layer, x: Tensor, context: ForwardContext
    ) {
        let g = Self.random(layer.forward(x, context).shape, 77)
        store.zeroGradients()
        _ = layer.forward(x, context)
        _ = layer.backward(g, sink: DiscardGradientReports())
        let analytic = store.gradientTensor(name)
        let value = store.tensor(name)
        check(
            "\(label) \(name)", x: value,
            forward: { v in
                store.set(name, v)
                return layer.forward(x, context)
            },
            backward: { _ in analytic })
        store.set(name, value)
    }

    /// Each of the three inputs of the pixel-wise max, the others held fixed.
    func testMultiScaleMaxAgainstFiniteDifferences() {
        let logits = [Self.random([2, 3, 9, 7], 91), Self.random([2, 3, 5, 4], 92), Self.random([2, 3, 7, 5], 93)]
        let source = DeepLabV2Model.pixelwiseMax(logits).1
        for k in logits.indices {
            check(
                "multi-scale max, input \(k)", x: logits[k], eps: 1e-3,
                forward: { l in
                    var inputs = logits
                    inputs[k] = l
                    return DeepLabV2Model.pixelwiseMax(inputs).0
                },
                backward: { g in
                    var grads = logits.map { Tensor(zeros: $0.shape) }
                    DeepLabV2Model.pixelwiseMaxBackward(gradMax: g, source: source, into: &grads)
                    return grads[k]
                })
        }
        XCTAssertEqual(Set(source).count, 3, "every input wins somewhere")
    }

    /// The whole tiny model (trained BN, the multi-scale max, the four-term loss) along a random direction in
    /// parameter space.
    func testTinyDeepLabLossAgainstFiniteDifferences() {
        let model = DeepLabV2Model(spec: DeepLabV2Spec.tiny.narrowed(by: 8), numClasses: 4, batchNorm: .trainable)
        model.initialize(seed: 5)
        let store = model.store
        // ASPP's N(0, 0.01) init makes the three branches' logits nearly equal, so the pixel-wise max
        // would switch its winner inside the difference quotient: logits of O(1) instead.
        for entry in store.entries where entry.name.contains("aspp") && entry.name.hasSuffix("weight") {
            let values = store.valueBuffer(store.index(of: entry.name)!)
            for i in 0..<entry.count { values[i] *= 30 }
        }
        let images = Self.random([2, 3, 33, 29], 95)
        var rng = KeyedRandom(key: 96)
        let labels = (0..<(2 * 33 * 29)).map { i in i % 7 == 0 ? 255 : UInt8(rng.uniform(0, 3.99)) }
        func loss() -> Double {
            store.zeroGradients()
            return Double(model.lossAndGradients(images: images, labels: labels, sink: DiscardGradientReports()).total)
        }
        _ = loss()
        // ReLU gates and the max's winners switch inside the quotient: its error is a share of the typical
        // derivative, so a direction whose derivative cancels out (key 98: 6.1 against a typical 69; the
        // quotient goes 1.1, 6.9, 6.5, 5.9 at ε = 3e-4 … 1e-5) is held to 2% of the typical value.
        let typical = GradientCheckTests.typicalDirectionalDerivative(store)
        print("tiny DeepLab-v2: typical directional derivative \(typical)")
        for key: UInt64 in [97, 98, 99] {
            GradientCheckTests.checkDirectionalDerivative(store, eps: 1e-4, key: key, floor: typical, loss: loss)
        }
    }
}
