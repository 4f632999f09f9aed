import Foundation

/// A fully connected CRF over the pixels of a W × H image with M labels,
/// inferred by mean field as pydensecrf's `DenseCRF2D` (Krähenbühl & Koltun):
/// Gaussian pairwise kernels through the permutohedral lattice, symmetric
/// normalisation, Potts compatibility, parallel (Jacobi) updates.
///
/// Shapes: unary and Q are M × H × W Float32, label-major (C order (M, H, W));
/// pixel index i = y·W + x. Internally values are pixel-major (N × M), the
/// layout the lattice filters.
public struct DenseCRF {
    public let width: Int
    public let height: Int
    public let labels: Int
    public var pixelCount: Int { width * height }

    /// U, pixel-major N × M; zero until set (as in pydensecrf).
    private var unaryByPixel: [Float]
    private var terms: [NormalisedTerm] = []

    public init(width: Int, height: Int, labels: Int) throws {
        try DenseCRFError.check(width >= 1 && height >= 1, "the CRF image is \(width)×\(height); it needs pixels")
        try DenseCRFError.check(labels >= 1 && labels <= 65_536, "the CRF has \(labels) labels; it needs 1…65536")
        try DenseCRFError.check(
            width * height <= Int(Int32.max) / 8, "the CRF image \(width)×\(height) has too many pixels")
        self.width = width
        self.height = height
        self.labels = labels
        unaryByPixel = [Float](repeating: 0, count: width * height * labels)
    }

    /// unary: M × H × W energies (−log probability), finite.
    public mutating func setUnaryEnergy(_ unary: [Float]) throws {
        try DenseCRFError.check(
            unary.count == labels * pixelCount,
            "the unary holds \(unary.count) values, not M·H·W = \(labels)·\(height)·\(width)")
        try DenseCRFError.check(unary.allSatisfy { $0.isFinite }, "a unary energy is not finite")
        let n = pixelCount
        for l in 0..<labels {
            for i in 0..<n { unaryByPixel[i * labels + l] = unary[l * n + i] }
        }
    }

    /// pydensecrf `addPairwiseGaussian(sxy, compat)`.
    public mutating func addPairwiseGaussian(sxy: Float, compat: Float) throws {
        try addPairwise(.gaussian(width: width, height: height, sxy: sxy, compat: compat))
    }

    /// pydensecrf `addPairwiseBilateral(sxy, srgb, rgbim, compat)`, rgb H × W × 3.
    public mutating func addPairwiseBilateral(sxy: Float, srgb: Float, rgb: [UInt8], compat: Float) throws {
        try addPairwise(.bilateral(width: width, height: height, sxy: sxy, srgb: srgb, rgb: rgb, compat: compat))
    }

    /// Any Gaussian kernel over N × d features, with the lattice and the symmetric
    /// normalisation norm_i = 1/sqrt(D_i + 1e-20), D = K·1 computed by the same lattice.
    public mutating func addPairwise(_ kernel: PairwiseKernel) throws {
        try DenseCRFError.check(
            kernel.features.count == pixelCount * kernel.dimension,
            "pairwise features hold \(kernel.features.count) values, not N·d = \(pixelCount)·\(kernel.dimension)")
        let lattice = try PermutohedralLattice(
            features: kernel.features, pointCount: pixelCount, dimension: kernel.dimension)
        let degree = lattice.compute([Float](repeating: 1, count: pixelCount), channels: 1)
        let norm = degree.map { Float(1.0 / (Double($0) + 1e-20).squareRoot()) }
        terms.append(NormalisedTerm(lattice: lattice, norm: norm, weight: kernel.weight))
    }

    /// Q after `iterations` mean-field steps, M × H × W; iterations 0 gives softmax(−U).
    /// Each step: A = −U + Σ_m w_m·diag(norm_m)·K_m·diag(norm_m)·Q, Q = softmax over labels of A.
    public func inference(iterations: Int) -> [Float] {
        precondition(iterations >= 0, "mean-field iterations cannot be negative")
        let n = pixelCount
        let m = labels
        var q = [Float](repeating: 0, count: n * m)
        var scores = unaryByPixel.map { -$0 }
        Self.softmaxPerPixel(scores, into: &q, labels: m)
        var filtered = [Float](repeating: 0, count: n * m)
        let scratch = LatticeScratch()
        for _ in 0..<iterations {
            for k in 0..<scores.count { scores[k] = -unaryByPixel[k] }
            for term in terms {
                term.filter(q, into: &filtered, labels: m, scratch: scratch)
                // pydensecrf: Potts gives −w·(K̃Q), which the update subtracts.
                let negativeWeight = -term.weight
                for k in 0..<scores.count { scores[k] -= negativeWeight * filtered[k] }
            }
            Self.softmaxPerPixel(scores, into: &q, labels: m)
        }
        var result = [Float](repeating: 0, count: n * m)
        for i in 0..<n {
            for l in 0..<m { result[l * n + i] = q[i * m + l] }
        }
        return result
    }

    /// Per pixel: subtract the max, exp, divide by the sum (pydensecrf `expAndNormalize`).
    /// scores, q: N × M pixel-major.
    static func softmaxPerPixel(_ scores: [Float], into q: inout [Float], labels m: Int) {
        scores.withUnsafeBufferPointer { a in
            q.withUnsafeMutableBufferPointer { out in
                for start in stride(from: 0, to: a.count, by: m) {
                    var top = a[start]
                    for l in 1..<m { top = max(top, a[start + l]) }
                    var sum: Float = 0
                    for l in 0..<m {
                        let e = exp(a[start + l] - top)
                        out[start + l] = e
                        sum += e
                    }
                    for l in 0..<m { out[start + l] /= sum }
                }
            }
        }
    }

    /// The label of each pixel: the first largest of Q (M × N label-major), N values.
    public static func labelMap(_ q: [Float], labels m: Int) -> [Int] {
        precondition(m >= 1 && q.count % m == 0, "Q must be M × N")
        let n = q.count / m
        var best = [Int](repeating: 0, count: n)
        var top = Array(q[0..<n])
        for l in 1..<m {
            for i in 0..<n where q[l * n + i] > top[i] {
                top[i] = q[l * n + i]
                best[i] = l
            }
        }
        return best
    }
}

/// A pairwise term ready for inference: its lattice, normalisation and Potts weight.
final class NormalisedTerm {
    let lattice: PermutohedralLattice
    /// norm_i = 1/sqrt(D_i + 1e-20), N values.
    let norm: [Float]
    let weight: Float

    init(lattice: PermutohedralLattice, norm: [Float], weight: Float) {
        self.lattice = lattice
        self.norm = norm
        self.weight = weight
    }

    /// out = diag(norm)·K·diag(norm)·q, q and out N × M pixel-major.
    func filter(_ q: [Float], into out: inout [Float], labels m: Int, scratch: LatticeScratch) {
        norm.withUnsafeBufferPointer { norm in
            q.withUnsafeBufferPointer { q in
                out.withUnsafeMutableBufferPointer { out in
                    lattice.compute(
                        q.baseAddress!, into: out.baseAddress!, channels: m, scratch: scratch,
                        pointScale: norm.baseAddress!)
                }
            }
        }
    }
}
