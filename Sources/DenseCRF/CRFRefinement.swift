/// A pseudo-mask from an image's class maps refined by the dense CRF, as the
/// CRF branch of psa/EPS `infer.py` builds its input: scores [bg, v_1..v_K]
/// (`CRFUnary.camScores`), unary −log clip(score), mean field, first-max label.
public enum CRFRefinement {
    /// rgb: H × W × 3; maps: one H·W max-normalised map per class of `classIndices`
    /// (0-based, ascending, each < 255). Returns H·W grey indices: 0 = background,
    /// c + 1 for class c. With no class every pixel is background.
    public static func mask(
        rgb: [UInt8], width: Int, height: Int, classIndices: [Int], maps: [[Float]], parameters: CRFParameters,
        background: CRFBackground
    ) throws -> [UInt8] {
        try DenseCRFError.check(
            classIndices.count == maps.count, "\(classIndices.count) class indices for \(maps.count) maps")
        try DenseCRFError.check(
            classIndices.allSatisfy { (0..<255).contains($0) }, "class indices must lie in 0…254 for a grey mask")
        let n = width * height
        guard !classIndices.isEmpty else { return [UInt8](repeating: 0, count: n) }
        let scores = try CRFUnary.camScores(classMaps: maps, pixelCount: n, background: background)
        let unary = try CRFUnary.fromProbabilities(scores)
        let q = try parameters.inference(rgb: rgb, width: width, height: height, unary: unary, labels: maps.count + 1)
        return DenseCRF.labelMap(q, labels: maps.count + 1).map { $0 == 0 ? 0 : UInt8(classIndices[$0 - 1] + 1) }
    }
}
