import Foundation

/// How the background score of the CRF input is made from the class maps.
public enum CRFBackground: Equatable, Sendable, CustomStringConvertible {
    /// bg = (1 − max_c v)^alpha: psa `infer_cls.py` and the CRF branch of EPS `infer.py`
    /// (psa's defaults: alpha 4 "low", 32 "high"; larger alpha, less background).
    case power(alpha: Float)
    /// bg = thr everywhere: the constant background plane of EPS's PNG masks (thr 0.20).
    case constant(Float)

    public var description: String {
        switch self {
        case .power(let alpha): "bg-alpha \(alpha)"
        case .constant(let thr): "bg-thr \(thr)"
        }
    }
}

/// The CRF's unary energies, as the reference code builds them.
public enum CRFUnary {
    /// pydensecrf `utils.unary_from_softmax(sm, clip=1e-5)`: U = −log(clip(p, 1e-5, 1)),
    /// elementwise, shape kept (M × N). Not renormalised. Throws on NaN.
    public static func fromProbabilities(_ p: [Float], clip: Float = 1e-5) throws -> [Float] {
        try DenseCRFError.check(!p.contains { $0.isNaN }, "a CRF input probability is NaN")
        return p.map { -log(Swift.min(Swift.max($0, clip), 1)) }
    }

    /// The CRF input scores (K+1) × N from K class maps (each N values, the image's
    /// classes in ascending class order, max-normalised to [0, 1] as CAMs are):
    /// plane 0 = background (see `CRFBackground`), plane k = the k-th map. Not
    /// renormalised, as in psa/EPS. Background from the largest class value
    /// clamped to [0, 1], so a value above 1 gives bg 0, never NaN.
    /// With K = 0 the result is the background plane alone.
    public static func camScores(classMaps: [[Float]], pixelCount n: Int, background: CRFBackground) throws
        -> [Float]
    {
        for (k, map) in classMaps.enumerated() {
            try DenseCRFError.check(map.count == n, "class map \(k) holds \(map.count) values, not \(n)")
            try DenseCRFError.check(map.allSatisfy { $0.isFinite }, "class map \(k) holds a value that is not finite")
        }
        var scores = [Float](repeating: 0, count: (classMaps.count + 1) * n)
        switch background {
        case .power(let alpha):
            try DenseCRFError.checkParameter("background alpha", alpha, in: 0...1000)
            for i in 0..<n {
                let top = classMaps.reduce(Float(0)) { Swift.max($0, $1[i]) }
                scores[i] = pow(1 - Swift.min(Swift.max(top, 0), 1), alpha)
            }
        case .constant(let thr):
            try DenseCRFError.checkParameter("background threshold", thr, in: 0...1)
            for i in 0..<n { scores[i] = thr }
        }
        for (k, map) in classMaps.enumerated() {
            scores.replaceSubrange((k + 1) * n..<(k + 2) * n, with: map)
        }
        return scores
    }
}
