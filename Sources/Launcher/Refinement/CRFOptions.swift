import ArgumentParser
import DenseCRF

/// The dense CRF's flags: a named parameter set and optional overrides of each value.
public struct CRFOptions: ParsableArguments {
    public init() {}

    @Option(
        help: """
            Parameter set: psa (psa and EPS util/imutils.py crf_inference: Gaussian sxy 3 compat 3, bilateral sxy 80 \
            srgb 13 compat 10, 10 iterations) or deeplab (deeplab-pytorch voc12.yaml and the EPS README: Gaussian \
            sxy 1 compat 3, bilateral sxy 67 srgb 3 compat 4, 10 iterations). Default: psa for pseudo-masks \
            (infer, refine), deeplab for seg-infer.
            """)
    var crfParams: String?
    @Option(help: "Mean-field iterations (default: the set's).") var crfIterations: Int?
    @Option(help: "Gaussian (position) kernel's standard deviation in pixels (default: the set's).")
    var crfGaussianSxy: Float?
    @Option(help: "Gaussian kernel's Potts weight (default: the set's).") var crfGaussianCompat: Float?
    @Option(help: "Bilateral kernel's position standard deviation in pixels (default: the set's).")
    var crfBilateralSxy: Float?
    @Option(help: "Bilateral kernel's colour standard deviation in 0…255 levels (default: the set's).")
    var crfBilateralSrgb: Float?
    @Option(help: "Bilateral kernel's Potts weight (default: the set's).") var crfBilateralCompat: Float?

    /// The set (`defaultSet` when --crf-params is not given) with the
    /// overrides, checked; errors name the flags.
    public func resolved(defaultSet: String = "psa") throws -> CRFParameters {
        let name = crfParams ?? defaultSet
        guard var p = CRFParameters.named(name) else {
            let names = CRFParameters.named.map(\.name).joined(separator: ", ")
            throw UsageError("--crf-params takes \(names), not '\(name)'")
        }
        if let v = crfIterations { p.iterations = v }
        if let v = crfGaussianSxy { p.gaussianSxy = v }
        if let v = crfGaussianCompat { p.gaussianCompat = v }
        if let v = crfBilateralSxy { p.bilateralSxy = v }
        if let v = crfBilateralSrgb { p.bilateralSrgb = v }
        if let v = crfBilateralCompat { p.bilateralCompat = v }
        do { try p.validate() } catch {
            throw UsageError("\(error) (flags --crf-iterations, --crf-gaussian-*, --crf-bilateral-*)")
        }
        return p
    }

    public func validate() throws { _ = try resolved() }

    /// The CRF's background score: (1 − max class score)^alpha when `alpha` is given (--bg-alpha), else
    /// the constant `threshold` (`flag` names where it came from in errors).
    static func background(alpha: Float?, threshold: Float, flag: String) throws -> CRFBackground {
        if let alpha {
            guard alpha.isFinite, (0...1000).contains(alpha) else {
                throw UsageError("--bg-alpha must lie in [0, 1000], not \(alpha)")
            }
            return .power(alpha: alpha)
        }
        guard threshold.isFinite, (0...1).contains(threshold) else {
            throw UsageError("\(flag) must lie in [0, 1], not \(threshold)")
        }
        return .constant(threshold)
    }
}
