/// The pseudo-mask rule of the official infer.py: the background is a
/// constant score `threshold`; a pixel takes the class of the highest map
/// that exceeds it (the first class on a tie), else background. One rule for
/// infer, sweep's written masks and the tests.
public enum CAMMask {
    /// maps: [classes, plane] row-major, max-normalised; present: which classes
    /// may win (nil: all; the absent ones count as zero). Returns plane class
    /// indices: 0 background, c + 1 for class c.
    public static func indices(
        maps: UnsafeBufferPointer<Float>, classes: Int, plane: Int, threshold: Float, present: [Bool]? = nil
    ) -> [UInt8] {
        precondition(maps.count == classes * plane && classes < 255)
        let present = present ?? [Bool](repeating: true, count: classes)
        var out = [UInt8](repeating: 0, count: plane)
        for i in 0..<plane {
            var best = threshold
            var bestIndex = 0
            for c in 0..<classes {
                let score: Float = present[c] ? maps[c * plane + i] : 0
                if score > best {
                    best = score
                    bestIndex = c + 1
                }
            }
            out[i] = UInt8(bestIndex)
        }
        return out
    }
}
