import Support

/// Which images the report's gallery shows, by per-image IoU: the `count`
/// worst, the `count` best of the rest, and `count` drawn at random (fixed
/// seed) from what is left. Images without a score (NaN) are never worst or
/// best but may be drawn. Ties go to the earlier image, so the choice is
/// the same on every run.
public struct GallerySelection: Equatable {
    /// Indices into the scores, each group in the order shown.
    public var worst: [Int]
    public var best: [Int]
    public var random: [Int]

    public init(scores: [Double], count: Int, seed: UInt64) {
        let scored = scores.indices.filter { scores[$0].isFinite }
        let worst = Array(scored.sorted { (scores[$0], $0) < (scores[$1], $1) }.prefix(count))
        let best = Array(
            scored.filter { !worst.contains($0) }.sorted { (-scores[$0], $0) < (-scores[$1], $1) }.prefix(count))
        let taken = Set(worst + best)
        let left = scores.indices.filter { !taken.contains($0) }
        var rng = KeyedRandom(key: KeyedRandom.key(seed, KeyedRandom.Stream.reportGallery))
        (self.worst, self.best) = (worst, best)
        random = rng.permutation(left.count).prefix(count).map { left[$0] }
    }
}
