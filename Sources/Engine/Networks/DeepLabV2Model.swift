import Foundation
import Support

/// DeepLab-v2 with deeplab-pytorch's multi-scale wrapper (`MSC`, scales 0.5
/// and 0.75), trained on label maps. Forward in training:
///   l1 = net(x);  l_p = net(bilinear(x, scale p))  for p in scales
///   lmax = elementwise max(l1, up(l_0.5), up(l_0.75))   (up: bilinear to l1's size)
/// and the loss is the sum over [l1, l_0.5, l_0.75, lmax] of the cross-entropy
/// (ignore 255) against the labels resized to each output by Pillow's nearest.
/// State-dict names carry the wrapper's `base.` prefix, as the checkpoint of
/// `DeepLabV2_ResNet101_MSC`.
public final class DeepLabV2Model: TrainableModel {
    public let store = ParameterStore()
    public let spec: DeepLabV2Spec
    public let numClasses: Int
    public let batchNorm: DeepLabBatchNorm
    public let scales: [Double]
    /// One copy of the network per input (full size first, then `scales`),
    /// sharing parameters: each keeps its own activations for backward.
    let copies: [Sequential]
    /// Sums the loss denominators over the ranks (and BN statistics when trained).
    var replicas: BatchStatisticsReducer?
    /// Multiplies the loss and its gradients: 1 / iter size under gradient accumulation.
    public var lossScale: Float = 1

    public init(
        spec: DeepLabV2Spec, numClasses: Int, batchNorm: DeepLabBatchNorm = .frozen, scales: [Double] = [0.5, 0.75]
    ) {
        self.spec = spec
        self.numClasses = numClasses
        self.batchNorm = batchNorm
        self.scales = scales
        let store = self.store
        let first = spec.makeNetwork(store: store, classes: numClasses, batchNorm: batchNorm)
        copies =
            [first]
            + store.sharingDeclarations {
                scales.map { _ in spec.makeNetwork(store: store, classes: numClasses, batchNorm: batchNorm) }
            }
    }

    /// The network (the full-scale copy), for plans, weights and profiles.
    public var network: Sequential { copies[0] }

    /// Kaiming-normal convolutions (fan-in, ReLU gain), ASPP weights N(0, 0.01)
    /// and zero biases as deeplab-pytorch's `init_weights`; BN γ 1, β 0,
    /// running mean 0, variance 1.
    public func initialize(seed: UInt64) {
        for (i, entry) in store.entries.enumerated() {
            guard case .parameter(let group) = entry.kind, entry.shape.count == 4 || group == .headBias else {
                continue
            }
            var rng = KeyedRandom(key: KeyedRandom.key(seed, UInt64(i)))
            let values = store.valueBuffer(i)
            switch group {
            case .headBias, .backboneBias: values.update(repeating: 0)
            case .headWeight: for j in 0..<entry.count { values[j] = rng.normal() * 0.01 }
            case .backboneWeight:
                let fanIn = entry.shape[1] * entry.shape[2] * entry.shape[3]
                let std = Float((2.0 / Double(fanIn)).squareRoot())
                for j in 0..<entry.count { values[j] = rng.normal() * std }
            }
        }
    }

    public func synchronizeBatchStatistics(_ reducer: BatchStatisticsReducer) {
        replicas = reducer
        func visit(_ layer: Layer) {
            if let bn = layer as? BatchNormLayer, bn.useBatchStatistics { bn.statisticsReducer = reducer }
            layer.sublayers.forEach(visit)
        }
        copies.forEach(visit)
    }

    /// The four training outputs [l1, l_0.5, l_0.75, lmax] of images
    /// [n, 3, H, W], and for each element of lmax which input it came from
    /// (0 = l1, k = scales[k − 1]; the first on ties, as torch.max).
    public func multiScaleLogits(_ images: Tensor, _ context: ForwardContext) -> (outputs: [Tensor], source: [UInt8]) {
        var logits = [copies[0].forward(images, context)]
        for (k, p) in scales.enumerated() {
            logits.append(copies[k + 1].forward(BilinearResize.forward(images, scaleFactor: p), context))
        }
        let (max, source) = Self.pixelwiseMax(logits)
        return (logits + [max], source)
    }

    /// Elementwise max of `logits[0]` and the others resized to its size.
    public static func pixelwiseMax(_ logits: [Tensor]) -> (Tensor, [UInt8]) {
        let (_, _, h, w) = logits[0].nchw
        var max = logits[0]
        var source = [UInt8](repeating: 0, count: max.count)
        for (k, l) in logits.enumerated().dropFirst() {
            let up = BilinearResize.forward(l, height: h, width: w)
            max.withUnsafeMutableBufferPointer { m in
                up.withUnsafeBufferPointer { u in
                    for i in 0..<m.count where u[i] > m[i] {
                        m[i] = u[i]
                        source[i] = UInt8(k)
                    }
                }
            }
        }
        return (max, source)
    }

    /// The gradients of [l1, l_0.5, …] from the gradient of lmax, added to
    /// each output's own gradient: lmax's goes to the input that won, through
    /// the bilinear upsampling's backward for the smaller ones.
    public static func pixelwiseMaxBackward(gradMax: Tensor, source: [UInt8], into grads: inout [Tensor]) {
        for k in grads.indices {
            var routed = Tensor(zeros: gradMax.shape)
            gradMax.withUnsafeBufferPointer { g in
                routed.withUnsafeMutableBufferPointer { r in
                    for i in 0..<r.count where source[i] == UInt8(k) { r[i] = g[i] }
                }
            }
            grads[k].add(
                k == 0 ? routed : BilinearResize.backward(gradY: routed, inputShape: grads[k].shape))
        }
    }

    public struct Losses {
        /// Cross-entropy of l1, l_0.5, l_0.75, lmax (each × lossScale).
        public var terms: [Float]
        public var total: Float { terms.reduce(0, +) }
        public var forwardSeconds = 0.0, backwardSeconds = 0.0
    }

    /// Forward, loss and backward of images [n, 3, H, W] with labels
    /// [n, H, W]; parameter gradients add into the store. The small scales'
    /// backward runs first without reports, so that every gradient is final
    /// when the full-scale copy reports it to `sink`.
    public func lossAndGradients(
        images: Tensor, labels: [UInt8], sink: GradientSink, sampleKeys: [UInt64] = []
    ) -> Losses {
        let start = Date()
        let (n, _, height, width) = images.nchw
        let (outputs, source) = multiScaleLogits(images, ForwardContext(training: true, sampleKeys: sampleKeys))
        let resized = outputs.map { out in
            LabelResize.nearestBatch(
                labels, n: n, height: height, width: width, toHeight: out.shape[2], toWidth: out.shape[3])
        }
        // Each term is the mean over the global batch: its counted pixels
        // summed over the ranks (the last entry counts the ranks).
        var counts = resized.map { Double($0.count { $0 != SegmentationCrossEntropy.ignoredLabel }) } + [1]
        replicas?.sumAcrossReplicas(&counts)
        let ranks = counts.last!
        var terms: [Float] = []
        var grads: [Tensor] = []
        for (out, labels) in zip(outputs, resized) {
            let k = terms.count
            var ce = SegmentationCrossEntropy.compute(logits: out, labels: labels, dividingBy: counts[k] / ranks)
            if lossScale != 1 { ce.grad.scale(by: lossScale) }
            terms.append(ce.loss * lossScale)
            grads.append(ce.grad)
        }
        let forwardDone = Date()
        let gradMax = grads.removeLast()
        Self.pixelwiseMaxBackward(gradMax: gradMax, source: source, into: &grads)
        let silent = DiscardGradientReports()
        for k in copies.indices.dropFirst() { _ = copies[k].backward(grads[k], sink: silent) }
        _ = copies[0].backward(grads[0], sink: sink)
        return Losses(
            terms: terms, forwardSeconds: forwardDone.timeIntervalSince(start),
            backwardSeconds: Date().timeIntervalSince(forwardDone))
    }

    public func accumulateGradients(_ batch: LocalBatch, sink: GradientSink) -> StepLosses {
        guard let masks = batch.masks else { preconditionFailure("DeepLab-v2 training needs label maps") }
        let losses = lossAndGradients(images: batch.images, labels: masks, sink: sink, sampleKeys: batch.sampleKeys)
        return StepLosses(
            lossCls: losses.total, lossSal: 0, forwardSeconds: losses.forwardSeconds,
            backwardSeconds: losses.backwardSeconds)
    }

    /// The evaluation output: lmax [n, classes, h, w] of images [n, 3, H, W],
    /// in eval mode (every input through the full-scale copy, nothing kept).
    public func inferenceLogits(_ images: Tensor) -> Tensor {
        var logits = [copies[0].forward(images, .inference)]
        for p in scales {
            logits.append(copies[0].forward(BilinearResize.forward(images, scaleFactor: p), .inference))
        }
        return Self.pixelwiseMax(logits).0
    }
}
