import Foundation

/// BatchNorm2d over x [n, c, h, w] with per-channel weight, bias, running mean/var.
/// Train mode: batch mean and biased variance over (n, h, w), running stats
/// updated with momentum and the unbiased variance; gradients flow through the
/// statistics. Eval mode (how EPS runs every BN): running stats, no update.
public enum BatchNorm {
    public struct Cache {
        public var xHat: Tensor          // normalised input (train mode only: eval backward needs none)
        public var invStd: [Float]       // 1/sqrt(var + eps) per channel
        public var training: Bool
        /// Eval mode keeps the input (shared with the previous layer's output,
        /// no copy) only when grad_weight will be asked for (not in EPS, where BN is frozen).
        public var input: Tensor?
        public var mean: [Float]
    }

    public static func forward(_ x: Tensor, weight: [Float], bias: [Float],
                               runningMean: inout [Float], runningVar: inout [Float],
                               training: Bool, momentum: Float = 0.1, eps: Float = 1e-5,
                               keepInput: Bool = true) -> (Tensor, Cache) {
        let (n, c, h, w) = x.nchw
        let plane = h * w, m = n * plane
        var mean = runningMean, variance = runningVar
        if training {
            for ch in 0..<c {
                var s: Double = 0
                for b in 0..<n { for i in 0..<plane { s += Double(x.data[(b * c + ch) * plane + i]) } }
                let mu = s / Double(m)
                var v: Double = 0
                for b in 0..<n { for i in 0..<plane { let d = Double(x.data[(b * c + ch) * plane + i]) - mu; v += d * d } }
                mean[ch] = Float(mu); variance[ch] = Float(v / Double(m))
                runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * mean[ch]
                runningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * Float(v / Double(max(m - 1, 1)))
            }
        }
        let invStd = (0..<c).map { 1 / sqrtf(variance[$0] + eps) }
        var xHat = training ? x : Tensor(zeros: [0]), y = x
        for b in 0..<n { for ch in 0..<c {
            let base = (b * c + ch) * plane
            for i in 0..<plane {
                let v = (x.data[base + i] - mean[ch]) * invStd[ch]
                if training { xHat.data[base + i] = v }
                y.data[base + i] = v * weight[ch] + bias[ch]
            }
        } }
        return (y, Cache(xHat: xHat, invStd: invStd, training: training, input: training || !keepInput ? nil : x, mean: mean))
    }

    /// Returns grad_x; accumulates grad_weight and grad_bias when given.
    public static func backward(gradY: Tensor, cache: Cache, weight: [Float],
                                gradWeight: UnsafeMutablePointer<Float>?, gradBias: UnsafeMutablePointer<Float>?) -> Tensor {
        let (n, c, h, w) = gradY.nchw
        let plane = h * w, m = Float(n * plane)
        var gx = gradY
        for ch in 0..<c {
            var sumG: Float = 0, sumGX: Float = 0
            let needSums = cache.training || gradWeight != nil || gradBias != nil
            if needSums { for b in 0..<n { for i in 0..<plane {
                let k = (b * c + ch) * plane + i
                let xHat = cache.training ? cache.xHat.data[k] : (cache.input!.data[k] - cache.mean[ch]) * cache.invStd[ch]
                sumG += gradY.data[k]; sumGX += gradY.data[k] * xHat
            } } }
            gradWeight?[ch] += sumGX
            gradBias?[ch] += sumG
            let scale = weight[ch] * cache.invStd[ch]
            for b in 0..<n { for i in 0..<plane {
                let k = (b * c + ch) * plane + i
                if cache.training {
                    gx.data[k] = scale * (gradY.data[k] - sumG / m - cache.xHat.data[k] * sumGX / m)
                } else {
                    gx.data[k] = scale * gradY.data[k]
                }
            } }
        }
        return gx
    }
}
