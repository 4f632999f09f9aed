import Foundation

/// BatchNorm2d over x [n, c, h, w] with per-channel weight, bias, running
/// mean/var (pointers to c floats each: the ParameterStore's own values).
/// Train mode: batch mean and biased variance over (n, h, w), running stats
/// updated with momentum and the unbiased variance; gradients flow through the
/// statistics. Eval mode (how EPS runs every BN): running stats, no update.
public enum BatchNorm {
    public struct Cache {
        public var xHat: Tensor?  // normalised input (train mode only: eval backward needs none)
        public var invStd: [Float]  // 1/sqrt(var + eps) per channel
        public var training: Bool
        /// Eval mode keeps the input (shared with the previous layer's output,
        /// no copy) only when grad_weight will be asked for (not in EPS, where BN is frozen).
        public var input: Tensor?
        public var mean: [Float]

        public init() {
            xHat = nil
            invStd = []
            training = false
            input = nil
            mean = []
        }
    }

    public static func forward(
        _ x: Tensor, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        runningMean: UnsafeMutablePointer<Float>, runningVar: UnsafeMutablePointer<Float>,
        training: Bool, momentum: Float = 0.1, eps: Float = 1e-5,
        keepInput: Bool = true
    ) -> (Tensor, Cache) {
        var cache = Cache()
        let y = forward(
            x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
            training: training, momentum: momentum, eps: eps, keepInput: keepInput, cache: &cache)
        return (y, cache)
    }

    /// The same, filling a cache whose per-channel arrays are reused from call to call.
    public static func forward(
        _ x: Tensor, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        runningMean: UnsafeMutablePointer<Float>, runningVar: UnsafeMutablePointer<Float>,
        training: Bool, momentum: Float = 0.1, eps: Float = 1e-5,
        keepInput: Bool = true, cache: inout Cache
    ) -> Tensor {
        let (n, c, h, w) = x.nchw
        let plane = h * w
        let m = n * plane
        // The cache's per-channel arrays, taken out so they are written in place
        // (sole owners) and handed back at the end: no allocation per call.
        if cache.mean.count != c {
            cache.mean = [Float](repeating: 0, count: c)
            cache.invStd = [Float](repeating: 0, count: c)
        }
        var mean = cache.mean
        var invStd = cache.invStd
        cache.mean = []
        cache.invStd = []
        for ch in 0..<c {
            mean[ch] = runningMean[ch]
            invStd[ch] = 1 / sqrtf(runningVar[ch] + eps)
        }  // eval statistics
        if training {
            x.withUnsafeBufferPointer { xp in
                for ch in 0..<c {
                    var s: Double = 0
                    for b in 0..<n { for i in 0..<plane { s += Double(xp[(b * c + ch) * plane + i]) } }
                    let mu = s / Double(m)
                    var v: Double = 0
                    for b in 0..<n {
                        for i in 0..<plane {
                            let d = Double(xp[(b * c + ch) * plane + i]) - mu
                            v += d * d
                        }
                    }
                    mean[ch] = Float(mu)
                    invStd[ch] = 1 / sqrtf(Float(v / Double(m)) + eps)  // biased batch variance
                    runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * mean[ch]
                    runningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * Float(v / Double(max(m - 1, 1)))
                }
            }
        }
        var y = Tensor(uninitialized: x.shape)
        var xHat = training ? Tensor(uninitialized: x.shape) : nil
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                func normalise(_ hp: UnsafeMutableBufferPointer<Float>?) {
                    Parallel.ranges(c, minimum: max(1, 32768 / max(n * plane, 1))) { channels in
                        for ch in channels {
                            let scale = invStd[ch]
                            let mu = mean[ch]
                            let wt = weight[ch]
                            let bs = bias[ch]
                            for b in 0..<n {
                                let base = (b * c + ch) * plane
                                for i in base..<(base + plane) {
                                    let v = (xp[i] - mu) * scale
                                    hp?[i] = v
                                    yp[i] = v * wt + bs
                                }
                            }
                        }
                    }
                }
                if xHat != nil { xHat!.withUnsafeMutableBufferPointer { normalise($0) } } else { normalise(nil) }
            }
        }
        cache.xHat = xHat
        cache.invStd = invStd
        cache.mean = mean
        cache.training = training
        cache.input = training || !keepInput ? nil : x
        return y
    }

    /// Returns grad_x; accumulates grad_weight and grad_bias when given.
    public static func backward(
        gradY: Tensor, cache: Cache, weight: UnsafePointer<Float>,
        gradWeight: UnsafeMutablePointer<Float>?, gradBias: UnsafeMutablePointer<Float>?
    ) -> Tensor {
        let (n, c, h, w) = gradY.nchw
        let plane = h * w
        let m = Float(n * plane)
        var gx = Tensor(uninitialized: gradY.shape)
        let needSums = cache.training || gradWeight != nil || gradBias != nil
        precondition(
            !needSums || cache.xHat != nil || cache.input != nil, "BatchNorm backward needs the input kept by forward")
        // x̂ of train mode, or the kept input of eval mode (normalised on the fly);
        // when no sum is needed nothing reads it, and gradY stands in.
        let normalised = cache.xHat ?? cache.input ?? gradY
        gradY.withUnsafeBufferPointer { gp in
            gx.withUnsafeMutableBufferPointer { gxp in
                normalised.withUnsafeBufferPointer { np in
                    Parallel.ranges(c, minimum: max(1, 32768 / max(n * plane, 1))) { channels in
                        for ch in channels {
                            var sumG: Float = 0
                            var sumGX: Float = 0  // Σ g, Σ g·x̂ over the channel
                            if needSums {
                                let mu = cache.training ? 0 : cache.mean[ch]
                                let s = cache.training ? 1 : cache.invStd[ch]
                                for b in 0..<n {
                                    for k in ((b * c + ch) * plane)..<((b * c + ch + 1) * plane) {
                                        sumG += gp[k]
                                        sumGX += gp[k] * ((np[k] - mu) * s)
                                    }
                                }
                                gradWeight?[ch] += sumGX
                                gradBias?[ch] += sumG
                            }
                            let scale = weight[ch] * cache.invStd[ch]
                            for b in 0..<n {
                                let base = (b * c + ch) * plane
                                if cache.training {
                                    for i in base..<(base + plane) {
                                        gxp[i] = scale * (gp[i] - sumG / m - np[i] * sumGX / m)
                                    }
                                } else {
                                    for i in base..<(base + plane) { gxp[i] = scale * gp[i] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return gx
    }
}
