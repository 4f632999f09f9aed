/// One pairwise term of the CRF: a Gaussian kernel exp(−½‖f_i − f_j‖²) over
/// per-pixel features, with a Potts weight. Pixel index i = y·W + x.
public struct PairwiseKernel: Equatable, Sendable {
    /// N × d Float32, pixel-major.
    public let features: [Float]
    /// d, the features per pixel.
    public let dimension: Int
    /// The Potts compatibility w: the term adds w·(K̃Q)_i to the label scores.
    public let weight: Float

    public init(features: [Float], dimension: Int, weight: Float) {
        self.features = features
        self.dimension = dimension
        self.weight = weight
    }

    /// pydensecrf `addPairwiseGaussian(sxy, compat)`: f = (x/sxy, y/sxy), N × 2.
    public static func gaussian(width: Int, height: Int, sxy: Float, compat: Float) throws -> PairwiseKernel {
        try DenseCRFError.checkParameter("Gaussian sxy", sxy, in: CRFParameters.stdRange)
        try DenseCRFError.checkParameter("Gaussian compat", compat, in: CRFParameters.weightRange)
        var f = [Float](repeating: 0, count: width * height * 2)
        for y in 0..<height {
            for x in 0..<width {
                f[(y * width + x) * 2] = Float(x) / sxy
                f[(y * width + x) * 2 + 1] = Float(y) / sxy
            }
        }
        return PairwiseKernel(features: f, dimension: 2, weight: compat)
    }

    /// pydensecrf `addPairwiseBilateral(sxy, srgb, rgbim, compat)`:
    /// f = (x/sxy, y/sxy, c0/srgb, c1/srgb, c2/srgb), N × 5, from rgb H × W × 3 UInt8
    /// (channels in the order given: the lattice is not symmetric in its axes,
    /// so give them in the order the compared code gives them, RGB for PSA/EPS).
    public static func bilateral(
        width: Int, height: Int, sxy: Float, srgb: Float, rgb: [UInt8], compat: Float
    ) throws -> PairwiseKernel {
        try DenseCRFError.checkParameter("bilateral sxy", sxy, in: CRFParameters.stdRange)
        try DenseCRFError.checkParameter("bilateral srgb", srgb, in: CRFParameters.stdRange)
        try DenseCRFError.checkParameter("bilateral compat", compat, in: CRFParameters.weightRange)
        try DenseCRFError.check(
            rgb.count == width * height * 3,
            "the CRF image holds \(rgb.count) bytes, not H·W·3 = \(height)·\(width)·3")
        var f = [Float](repeating: 0, count: width * height * 5)
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                f[i * 5] = Float(x) / sxy
                f[i * 5 + 1] = Float(y) / sxy
                for c in 0..<3 { f[i * 5 + 2 + c] = Float(rgb[i * 3 + c]) / srgb }
            }
        }
        return PairwiseKernel(features: f, dimension: 5, weight: compat)
    }
}
