/// The settings of a dense CRF run: a Gaussian (position) term, a bilateral
/// (position and colour) term, both Potts, and the mean-field iterations.
/// Terms are added Gaussian first, as every compared caller does.
public struct CRFParameters: Equatable, Codable, Sendable {
    public var iterations: Int
    public var gaussianSxy: Float
    public var gaussianCompat: Float
    public var bilateralSxy: Float
    public var bilateralSrgb: Float
    public var bilateralCompat: Float

    public init(
        iterations: Int, gaussianSxy: Float, gaussianCompat: Float, bilateralSxy: Float, bilateralSrgb: Float,
        bilateralCompat: Float
    ) {
        self.iterations = iterations
        self.gaussianSxy = gaussianSxy
        self.gaussianCompat = gaussianCompat
        self.bilateralSxy = bilateralSxy
        self.bilateralSrgb = bilateralSrgb
        self.bilateralCompat = bilateralCompat
    }

    /// deeplab-pytorch `configs/voc12.yaml` (POS_W 3, POS_XY_STD 1, BI_W 4, BI_XY_STD 67,
    /// BI_RGB_STD 3, ITER_MAX 10), the values the EPS README (issue #5) gives for the
    /// paper's CRF.
    public static let deeplab = CRFParameters(
        iterations: 10, gaussianSxy: 1, gaussianCompat: 3, bilateralSxy: 67, bilateralSrgb: 3, bilateralCompat: 4)

    /// psa `tool/imutils.py crf_inference` (= EPS `util/imutils.py`) with scale_factor 1:
    /// Gaussian sxy 3 compat 3, bilateral sxy 80 srgb 13 compat 10, t = 10.
    public static let psa = CRFParameters(
        iterations: 10, gaussianSxy: 3, gaussianCompat: 3, bilateralSxy: 80, bilateralSrgb: 13, bilateralCompat: 10)

    /// The named sets, for flags and provenance.
    public static let named: [(name: String, parameters: CRFParameters)] = [("deeplab", deeplab), ("psa", psa)]

    public static func named(_ name: String) -> CRFParameters? {
        named.first { $0.name == name }?.parameters
    }

    /// Accepted ranges: standard deviations (pixels, colour levels) and Potts weights.
    public static let stdRange: ClosedRange<Float> = 0.001...100_000
    public static let weightRange: ClosedRange<Float> = 0...10_000
    public static let iterationRange = 0...1000

    public func validate() throws {
        try DenseCRFError.check(
            Self.iterationRange.contains(iterations),
            "dense CRF iterations are \(iterations); they must be in 0…\(Self.iterationRange.upperBound)")
        try DenseCRFError.checkParameter("Gaussian sxy", gaussianSxy, in: Self.stdRange)
        try DenseCRFError.checkParameter("Gaussian compat", gaussianCompat, in: Self.weightRange)
        try DenseCRFError.checkParameter("bilateral sxy", bilateralSxy, in: Self.stdRange)
        try DenseCRFError.checkParameter("bilateral srgb", bilateralSrgb, in: Self.stdRange)
        try DenseCRFError.checkParameter("bilateral compat", bilateralCompat, in: Self.weightRange)
    }

    /// One line for logs and provenance.
    public var summary: String {
        "gaussian sxy \(gaussianSxy) compat \(gaussianCompat), bilateral sxy \(bilateralSxy) srgb \(bilateralSrgb) "
            + "compat \(bilateralCompat), \(iterations) iterations"
    }

    /// The two terms for an image: rgb H × W × 3 UInt8.
    public func kernels(width: Int, height: Int, rgb: [UInt8]) throws -> [PairwiseKernel] {
        try validate()
        return [
            try .gaussian(width: width, height: height, sxy: gaussianSxy, compat: gaussianCompat),
            try .bilateral(
                width: width, height: height, sxy: bilateralSxy, srgb: bilateralSrgb, rgb: rgb,
                compat: bilateralCompat),
        ]
    }

    /// Mean-field marginals Q (labels × H × W, label-major) of the CRF with these
    /// settings, for unary energies (labels × H × W) and rgb (H × W × 3).
    public func inference(rgb: [UInt8], width: Int, height: Int, unary: [Float], labels: Int) throws -> [Float] {
        var crf = try DenseCRF(width: width, height: height, labels: labels)
        try crf.setUnaryEnergy(unary)
        for kernel in try kernels(width: width, height: height, rgb: rgb) { try crf.addPairwise(kernel) }
        return crf.inference(iterations: iterations)
    }
}
