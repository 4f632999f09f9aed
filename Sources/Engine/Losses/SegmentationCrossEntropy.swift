import Foundation

/// Pixel-wise cross-entropy with an ignored label, as DeepLab-v2's loss
/// (torch.nn.CrossEntropyLoss(ignore_index: 255), reduction "mean"): the mean
/// over the counted pixels of −log softmax(logits)[label].
/// logits [n, C, h, w]; labels [n·h·w], a class index < C or 255 (ignored).
/// Gradient: (softmax − one-hot) / counted at counted pixels, 0 at ignored
/// ones. With no counted pixel PyTorch returns NaN (0/0); here the loss and
/// gradient are 0, so a crop that holds only ignored pixels adds nothing.
/// `dividingBy` replaces the local count as the mean's denominator: a rank
/// holding part of a global batch divides by the batch's count over every
/// rank, so the sum over ranks is the mean of the whole batch.
public enum SegmentationCrossEntropy {
    public static let ignoredLabel: UInt8 = 255

    public struct Result {
        public var loss: Float
        /// d loss / d logits, [n, C, h, w].
        public var grad: Tensor
        /// Pixels with a label other than 255.
        public var counted: Int
    }

    public static func compute(logits: Tensor, labels: [UInt8], dividingBy denominator: Double? = nil) -> Result {
        let (n, classes, h, w) = logits.nchw
        let plane = h * w
        precondition(labels.count == n * plane, "labels: \(labels.count) values for \(n)×\(h)×\(w) logits")
        var grad = Tensor(zeros: logits.shape)
        var counted = 0
        var total = 0.0
        logits.withUnsafeBufferPointer { z in
            grad.withUnsafeMutableBufferPointer { g in
                for i in 0..<n {
                    for p in 0..<plane {
                        let label = labels[i * plane + p]
                        if label == ignoredLabel { continue }
                        precondition(Int(label) < classes, "label \(label) with \(classes) classes")
                        let base = i * classes * plane + p
                        let (largest, sum) = ChannelSoftmax.pixel(
                            z, into: g, at: base, channels: classes, stride: plane)
                        g[base + Int(label) * plane] -= 1
                        total += Double(logf(sum) + largest - z[base + Int(label) * plane])
                        counted += 1
                    }
                }
                guard counted > 0 else { return }
                let scale = Float(1 / (denominator ?? Double(counted)))
                for j in 0..<g.count { g[j] *= scale }
            }
        }
        let loss = counted > 0 ? Float(total / (denominator ?? Double(counted))) : 0
        return Result(loss: loss, grad: grad, counted: counted)
    }
}
