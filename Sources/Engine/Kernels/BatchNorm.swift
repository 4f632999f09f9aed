import Foundation

/// BatchNorm2d over x [n, c, h, w] with per-channel weight, bias, running
/// mean/var (pointers to c floats each: the ParameterStore's own values).
/// Train mode: batch mean and biased variance over (n, h, w), running stats
/// updated with momentum and the unbiased variance; gradients flow through the
/// statistics. Eval mode (how EPS runs every BN): running stats, no update.
/// With a `reducer`, train mode sums the statistics over every replica
/// (SyncBatchNorm): forward reduces Σx, then Σ(x − mean)² (two passes, in
/// Double); backward reduces Σg and Σg·x̂. Parameter gradients stay local
/// (the gradient averaging of the run combines them).
public enum BatchNorm {
    public struct Cache {
        public var xHat: Tensor?  // normalised input (train mode only: eval backward needs none)
        public var invStd: [Float]  // 1/sqrt(var + eps) per channel
        public var training: Bool
        /// Eval mode keeps the input (shared with the previous layer's output,
        /// no copy) only when grad_weight will be asked for (not in EPS, where BN is frozen).
        public var input: Tensor?
        public var mean: [Float]
        /// Pixels per channel the train-mode statistics were taken over (all replicas).
        public var count: Double

        public init() {
            count = 0
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
        keepInput: Bool = true, reducer: BatchStatisticsReducer? = nil
    ) -> (Tensor, Cache) {
        var cache = Cache()
        let y = forward(
            x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
            training: training, momentum: momentum, eps: eps, keepInput: keepInput, reducer: reducer, cache: &cache)
        return (y, cache)
    }

    /// The same, filling a cache whose per-channel arrays are reused from call to call.
    public static func forward(
        _ x: Tensor, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        runningMean: UnsafeMutablePointer<Float>, runningVar: UnsafeMutablePointer<Float>,
        training: Bool, momentum: Float = 0.1, eps: Float = 1e-5,
        keepInput: Bool = true, reducer: BatchStatisticsReducer? = nil, cache: inout Cache
    ) -> Tensor {
        let (n, c, h, w) = x.nchw
        let plane = h * w
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
            let stats = batchStatistics(x, reducer: reducer)
            cache.count = stats.count
            for ch in 0..<c {
                mean[ch] = Float(stats.mean[ch])
                invStd[ch] = 1 / sqrtf(Float(stats.variance[ch]) + eps)  // biased batch variance
                let unbiased = stats.variance[ch] * stats.count / max(stats.count - 1, 1)
                runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * mean[ch]
                runningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * Float(unbiased)
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

    /// Per-channel mean and biased variance of x [n, c, h, w] over (n, h, w)
    /// and, through `reducer`, over every replica; `count` pixels per channel in all.
    static func batchStatistics(_ x: Tensor, reducer: BatchStatisticsReducer?) -> (
        mean: [Double], variance: [Double], count: Double
    ) {
        let (n, c, h, w) = x.nchw
        let plane = h * w
        // Σx per channel, the local pixel count last (one reduction for both).
        var sums = [Double](repeating: 0, count: c + 1)
        sums[c] = Double(n * plane)
        channelSums(x, into: &sums) { v, _ in Double(v) }
        reducer?.sumAcrossReplicas(&sums)
        let count = sums[c]
        let mean = (0..<c).map { sums[$0] / max(count, 1) }
        var squares = [Double](repeating: 0, count: c)
        channelSums(x, into: &squares) { v, ch in
            let d = Double(v) - mean[ch]
            return d * d
        }
        reducer?.sumAcrossReplicas(&squares)
        return (mean, squares.map { $0 / max(count, 1) }, count)
    }

    /// sums[ch] += Σ term(x, ch) over the channel's (n, h, w), channels in parallel.
    static func channelSums(_ x: Tensor, into sums: inout [Double], _ term: (Float, Int) -> Double) {
        let (n, c, h, w) = x.nchw
        let plane = h * w
        sums.withUnsafeMutableBufferPointer { out in
            x.withUnsafeBufferPointer { xp in
                Parallel.ranges(c, minimum: max(1, 32768 / max(n * plane, 1))) { channels in
                    for ch in channels {
                        var s: Double = 0
                        for b in 0..<n {
                            let base = (b * c + ch) * plane
                            for i in base..<(base + plane) { s += term(xp[i], ch) }
                        }
                        out[ch] += s
                    }
                }
            }
        }
    }

    /// Returns grad_x (nil when `inputGradient` is false); accumulates
    /// grad_weight and grad_bias when given. Train mode: grad_x =
    /// weight·invStd·(g − Σg/M − x̂·Σg·x̂/M), the sums over M pixels of every replica.
    public static func backward(
        gradY: Tensor, cache: Cache, weight: UnsafePointer<Float>,
        gradWeight: UnsafeMutablePointer<Float>?, gradBias: UnsafeMutablePointer<Float>?,
        inputGradient: Bool = true, reducer: BatchStatisticsReducer? = nil
    ) -> Tensor? {
        let (n, c, h, w) = gradY.nchw
        let plane = h * w
        let needSums = (cache.training && inputGradient) || gradWeight != nil || gradBias != nil
        precondition(
            !needSums || cache.xHat != nil || cache.input != nil, "BatchNorm backward needs the input kept by forward")
        // x̂ of train mode, or the kept input of eval mode (normalised on the fly);
        // when no sum is needed nothing reads it, and gradY stands in.
        let normalised = cache.xHat ?? cache.input ?? gradY
        // Σg per channel, then Σg·x̂: [0, c) and [c, 2c).
        var sums = [Double](repeating: 0, count: needSums ? 2 * c : 0)
        if needSums {
            gradY.withUnsafeBufferPointer { gp in
                normalised.withUnsafeBufferPointer { np in
                    sums.withUnsafeMutableBufferPointer { out in
                        Parallel.ranges(c, minimum: max(1, 32768 / max(n * plane, 1))) { channels in
                            for ch in channels {
                                let mu = cache.training ? 0 : cache.mean[ch]
                                let s = cache.training ? 1 : cache.invStd[ch]
                                var sumG: Double = 0
                                var sumGX: Double = 0
                                for b in 0..<n {
                                    for k in ((b * c + ch) * plane)..<((b * c + ch + 1) * plane) {
                                        sumG += Double(gp[k])
                                        sumGX += Double(gp[k] * ((np[k] - mu) * s))
                                    }
                                }
                                out[ch] = sumG
                                out[c + ch] = sumGX
                            }
                        }
                    }
                }
            }
            for ch in 0..<c {
                gradWeight?[ch] += Float(sums[c + ch])
                gradBias?[ch] += Float(sums[ch])
            }
        }
        guard inputGradient else { return nil }
        if cache.training { reducer?.sumAcrossReplicas(&sums) }
        let m = cache.training ? max(cache.count, 1) : 1
        var gx = Tensor(uninitialized: gradY.shape)
        gradY.withUnsafeBufferPointer { gp in
            gx.withUnsafeMutableBufferPointer { gxp in
                normalised.withUnsafeBufferPointer { np in
                    Parallel.ranges(c, minimum: max(1, 32768 / max(n * plane, 1))) { channels in
                        for ch in channels {
                            let scale = weight[ch] * cache.invStd[ch]
                            for b in 0..<n {
                                let base = (b * c + ch) * plane
                                if cache.training {
                                    let meanG = Float(sums[ch] / m)
                                    let meanGX = Float(sums[c + ch] / m)
                                    for i in base..<(base + plane) {
                                        gxp[i] = scale * (gp[i] - meanG - np[i] * meanGX)
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
