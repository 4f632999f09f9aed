import Support

/// Channel dropout (Dropout2d): in training each (sample, channel) plane is
/// zeroed with probability p and kept ones are scaled by 1/(1 − p). The draw of
/// sample b comes from its own key (DESIGN §4), so it does not depend on which
/// rank holds the sample.
public enum Dropout2d {
    /// Per-(sample, channel) multipliers: 0 or 1/(1 − p).
    public static func mask(sampleKeys: [UInt64], channels: Int, p: Float, salt: UInt64) -> [Float] {
        let keep = 1 / (1 - p)
        var mask = [Float](repeating: 0, count: sampleKeys.count * channels)
        for (b, key) in sampleKeys.enumerated() {
            var rng = KeyedRandom(key: key, stream: salt)
            for ch in 0..<channels { mask[b * channels + ch] = rng.nextUnitFloat() < p ? 0 : keep }
        }
        return mask
    }

    /// y = x · mask[n, c] broadcast over h·w. Backward is the same product.
    public static func apply(_ x: Tensor, mask: [Float]) -> Tensor {
        let (n, c, h, w) = x.nchw
        let plane = h * w
        var y = x
        for p in 0..<(n * c) where mask[p] != 1 {
            let m = mask[p]
            for i in 0..<plane { y.data[p * plane + i] *= m }
        }
        return y
    }
}
