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
        x.data.withUnsafeBufferPointer { xp in y.data.withUnsafeMutableBufferPointer { yp in xHat.data.withUnsafeMutableBufferPointer { hp in
            Parallel.ranges(c, minimum: max(1, 32768 / max(n * plane, 1))) { channels in
                for ch in channels {
                    let scale = invStd[ch], mu = mean[ch], wt = weight[ch], bs = bias[ch]
                    for b in 0..<n {
                        let base = (b * c + ch) * plane
                        for i in 0..<plane {
                            let v = (xp[base + i] - mu) * scale
                            if training { hp[base + i] = v }
                            yp[base + i] = v * wt + bs
                        }
                    }
                }
            }
        } } }
        return (y, Cache(xHat: xHat, invStd: invStd, training: training, input: training || !keepInput ? nil : x, mean: mean))
    }

    /// Returns grad_x; accumulates grad_weight and grad_bias when given.
    public static func backward(gradY: Tensor, cache: Cache, weight: [Float],
                                gradWeight: UnsafeMutablePointer<Float>?, gradBias: UnsafeMutablePointer<Float>?) -> Tensor {
        let (n, c, h, w) = gradY.nchw
        let plane = h * w, m = Float(n * plane)
        var gx = gradY
        let needSums = cache.training || gradWeight != nil || gradBias != nil
        var sums = [Float](repeating: 0, count: 2 * c)   // Σ g, Σ g·x̂ per channel
        gradY.data.withUnsafeBufferPointer { gp in gx.data.withUnsafeMutableBufferPointer { gxp in sums.withUnsafeMutableBufferPointer { sp in
            Parallel.ranges(c, minimum: max(1, 32768 / max(n * plane, 1))) { channels in
                for ch in channels {
                    var sumG: Float = 0, sumGX: Float = 0
                    if needSums {
                        for b in 0..<n { for i in 0..<plane {
                            let k = (b * c + ch) * plane + i
                            let xHat = cache.training ? cache.xHat.data[k] : (cache.input!.data[k] - cache.mean[ch]) * cache.invStd[ch]
                            sumG += gp[k]; sumGX += gp[k] * xHat
                        } }
                    }
                    sp[2 * ch] = sumG; sp[2 * ch + 1] = sumGX
                    let scale = weight[ch] * cache.invStd[ch]
                    for b in 0..<n {
                        let base = (b * c + ch) * plane
                        if cache.training {
                            for i in 0..<plane {
                                gxp[base + i] = scale * (gp[base + i] - sumG / m - cache.xHat.data[base + i] * sumGX / m)
                            }
                        } else {
                            for i in 0..<plane { gxp[base + i] = scale * gp[base + i] }
                        }
                    }
                }
            }
        } } }
        for ch in 0..<c {
            gradWeight?[ch] += sums[2 * ch + 1]
            gradBias?[ch] += sums[2 * ch]
        }
        return gx
    }
}
