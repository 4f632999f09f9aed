import Support

/// Channel dropout (Dropout2d): in training each (sample, channel) plane is
/// zeroed with probability p and kept ones are scaled by 1/(1 − p). The draw of
/// sample b comes from its own key (docs/ARCHITECTURE.md, "Random streams"), so it does not depend on which
/// rank holds the sample.
public enum Dropout2d {
    /// Per-(sample, channel) multipliers: 0 or 1/(1 − p).
    public static func mask(sampleKeys: [UInt64], channels: Int, p: Float, salt: UInt64) -> [Float] {
        var mask: [Float] = []
        fillMask(&mask, sampleKeys: sampleKeys, channels: channels, p: p, salt: salt)
        return mask
    }

    /// `mask` in place (its storage is reused when the size is unchanged).
    public static func fillMask(_ mask: inout [Float], sampleKeys: [UInt64], channels: Int, p: Float, salt: UInt64) {
        let keep = 1 / (1 - p)
        if mask.count != sampleKeys.count * channels {
            mask = [Float](repeating: 0, count: sampleKeys.count * channels)
        }
        for (b, key) in sampleKeys.enumerated() {
            var rng = KeyedRandom(key: key, stream: salt)
            for ch in 0..<channels { mask[b * channels + ch] = rng.nextUnitFloat() < p ? 0 : keep }
        }
    }

    /// y = x · mask[n, c] broadcast over h·w. Backward is the same product.
    public static func apply(_ x: Tensor, mask: [Float]) -> Tensor {
        let (n, c, h, w) = x.nchw
        let plane = h * w
        precondition(mask.count == n * c, "dropout mask has \(mask.count) entries for \(n)×\(c) planes")
        var y = Tensor(uninitialized: x.shape)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                Parallel.ranges(n * c, minimum: max(1, 65536 / max(plane, 1))) { planes in
                    for p in planes {
                        let m = mask[p]
                        let base = p * plane
                        for i in base..<(base + plane) { yp[i] = xp[i] * m }
                    }
                }
            }
        }
        return y
    }
}
