import Foundation

/// A counter-based random generator: the stream is a pure function of
/// (key, stream), so a sample's draws are the same on any rank and after resume.
/// SplitMix64 finaliser over a Weyl sequence.
public struct KeyedRandom: Sendable {
    private var state: UInt64

    public init(key: UInt64, stream: UInt64 = 0) {
        state = KeyedRandom.mix(key &+ 0x9E37_79B9_7F4A_7C15 &* (stream &+ 1))
    }

    /// A key derived from several integers (seed, epoch, sample index, ...).
    public static func key(_ parts: UInt64...) -> UInt64 {
        parts.reduce(0x243F_6A88_85A3_08D3) { mix($0 ^ mix($1 &+ 0x1337)) }
    }

    static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return KeyedRandom.mix(state)
    }

    /// Uniform in [0, 1) with 24 bits.
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }
    /// Uniform in [0, 1) with 53 bits.
    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }
    /// Uniform integer in lo...hi (inclusive).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * nextUnitFloat() }
    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = max(nextUnitDouble(), 1e-300)
        let u2 = nextUnitDouble()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
    /// Fisher–Yates permutation of 0..<n.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 { for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, Int(next() % UInt64(i + 1))) } }
        return p
    }
}

extension KeyedRandom {
    /// The fixed ids that separate the random streams of the program. Each
    /// decides a result that must be reproducible (the same for every rank
    /// count and after resume): changing one changes every run that uses it.
    public enum Stream {
        /// Mixed into (seed, epoch) for the epoch's sample permutation ("SHUF").
        public static let epochShuffle: UInt64 = 0x5348_5546
        /// The augmentation draws of one sample, under its (seed, epoch, index) key.
        public static let augmentation: UInt64 = 1
        /// Mixed into (seed, image index) for a synthetic scene ("SYN").
        public static let syntheticScene: UInt64 = 0x53594e
        /// The fixed batch of `eps-dist bench`.
        public static let benchmarkBatch: UInt64 = 42
        /// The random images of `eps-dist report`'s gallery, under (seed) ("GAL").
        public static let reportGallery: UInt64 = 0x47414c
    }
}
