/// A block some of whose convolutions feed a BatchNorm directly: conv → BN,
/// the convolution's output read by nothing else. Only such pairs fold; a
/// pre-activation BN (ResNet-38's bn_branch2a, after a residual sum) stays.
public protocol ConvolutionBatchNormPairs: Layer {
    var convolutionBatchNorms: [(conv: Conv2dLayer, bn: BatchNormLayer)] { get }
}

/// Inference only: each frozen BN that directly follows a convolution is
/// folded into that convolution once, at load, so the BN pass disappears:
/// with s = γ / √(running_var + eps),
///   W'[c] = W[c] · s[c],   b'[c] = b[c] · s[c] + β[c] − running_mean[c] · s[c].
/// The convolution's weights are rewritten in the store (the caller hashes
/// the checkpoint's weights before), the new bias is the layer's own; the BN
/// then passes its input through and refuses to train. Training keeps the
/// reference's exact order of operations and never folds.
public enum BatchNormFolding {
    /// Folds every pair inside `layer`, sublayers included; returns how many.
    @discardableResult
    public static func fold(_ layer: Layer) -> Int {
        var count = 0
        if let block = layer as? ConvolutionBatchNormPairs {
            for (conv, bn) in block.convolutionBatchNorms where !bn.folded {
                conv.fold(bn)
                count += 1
            }
        }
        for sublayer in layer.sublayers { count += fold(sublayer) }
        return count
    }
}

extension Conv2dLayer {
    /// W ← W · s per output channel and bias ← b · s + β − μ · s (see BatchNormFolding).
    func fold(_ bn: BatchNormLayer) {
        precondition(groups == 1 && bn.channels == cout, "\(name): cannot fold \(bn.name)")
        let (scale, shift) = bn.inferenceAffine()
        let weight = store.value(weightIndex)
        let perChannel = cin * kernel * kernel
        for c in 0..<cout {
            for i in (c * perChannel)..<((c + 1) * perChannel) { weight[i] *= scale[c] }
        }
        let old = biasIndex.map { store.value($0) }
        let bias = foldedBias ?? UnsafeMutablePointer<Float>.allocate(capacity: cout)
        for c in 0..<cout { bias[c] = (old?[c] ?? 0) * scale[c] + shift[c] }
        foldedBias = bias
        bn.folded = true
    }
}

extension BatchNormLayer {
    /// y = x · scale + shift per channel, with the running statistics.
    func inferenceAffine() -> (scale: [Float], shift: [Float]) {
        let (gamma, beta) = (store.value(weightIndex), store.value(biasIndex))
        let (mean, variance) = (store.value(meanIndex), store.value(varIndex))
        var scale = [Float](repeating: 0, count: channels)
        var shift = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            let invStd: Float = 1 / (variance[c] + eps).squareRoot()
            scale[c] = gamma[c] * invStd
            shift[c] = beta[c] - mean[c] * scale[c]
        }
        return (scale, shift)
    }
}

extension ResBlock: ConvolutionBatchNormPairs {
    public var convolutionBatchNorms: [(conv: Conv2dLayer, bn: BatchNormLayer)] { [(conv2a, bn2b1)] }
}

extension ResBlockBottleneck: ConvolutionBatchNormPairs {
    /// Dropout sits after each BN's ReLU, so it does not come between.
    public var convolutionBatchNorms: [(conv: Conv2dLayer, bn: BatchNormLayer)] { [(conv2a, bn2b1), (conv2b1, bn2b2)] }
}

extension Bottleneck: ConvolutionBatchNormPairs {
    public var convolutionBatchNorms: [(conv: Conv2dLayer, bn: BatchNormLayer)] {
        [(conv1, bn1), (conv2, bn2), (conv3, bn3)] + (downsample.map { [($0.conv, $0.bn)] } ?? [])
    }
}
