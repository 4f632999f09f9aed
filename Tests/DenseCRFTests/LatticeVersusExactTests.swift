import DenseCRF
import Foundation
import XCTest

/// The lattice CRF against the exact O(N²) CRF on small synthetic images.
/// The lattice samples the Gaussian about one standard deviation apart, so the
/// two differ; the bounds are the measured gap with margin. Measured (seeds 1, 2):
/// psa max|ΔQ| 3.3e-4 and 1.5e-3, no label differing; deeplab (Gaussian σ 1 pixel,
/// colour σ 3 levels: the lattice is far too coarse there) max|ΔQ| 0.94 and 0.97 on a
/// few edge pixels, mean|ΔQ| 0.0045 and 0.0078, 0.8% and 1.0% of the labels differing.
final class LatticeVersusExactTests: XCTestCase {
    /// A 32×24 image of three coloured discs-and-ground regions with noise, and
    /// noisy probabilities favouring each pixel's region (3 labels).
    static func scene(width w: Int, height h: Int, labels m: Int, seed: UInt64) -> (rgb: [UInt8], prob: [Float]) {
        var random = SplitMix(seed: seed)
        let colours = (0..<m).map { _ in (0..<3).map { _ in random.unit() * 255 } }
        let discs = (1..<m).map { _ in (random.unit() * Double(w), random.unit() * Double(h), 0.3 * Double(min(w, h))) }
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        var prob = [Float](repeating: 0, count: m * w * h)
        for y in 0..<h {
            for x in 0..<w {
                var region = 0
                for (k, disc) in discs.enumerated() {
                    let (cx, cy, r) = disc
                    if (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) < r * r {
                        region = k + 1
                    }
                }
                let i = y * w + x
                for c in 0..<3 {
                    rgb[i * 3 + c] = UInt8(
                        max(0, min(255, (colours[region][c] + (random.unit() - 0.5) * 40).rounded())))
                }
                let logits = (0..<m).map { l in (random.unit() - 0.5) * 3 + (l == region ? 1.2 : 0) }
                let e = logits.map { Foundation.exp($0) }
                let sum = e.reduce(0, +)
                for l in 0..<m { prob[l * w * h + i] = Float(e[l] / sum) }
            }
        }
        return (rgb, prob)
    }

    func compare(_ parameters: CRFParameters, seed: UInt64) throws -> (
        maxDiff: Float, meanDiff: Double, labelDisagreement: Double
    ) {
        let (w, h, m) = (32, 24, 3)
        let (rgb, prob) = Self.scene(width: w, height: h, labels: m, seed: seed)
        let unary = try CRFUnary.fromProbabilities(prob)
        let lattice = try parameters.inference(rgb: rgb, width: w, height: h, unary: unary, labels: m)
        let exact = ExactDenseCRF.inference(
            unary: unary, labels: m, kernels: try parameters.kernels(width: w, height: h, rgb: rgb),
            iterations: parameters.iterations)
        let result = compareQ(lattice, exact, labels: m)
        print(
            "lattice vs exact, seed \(seed), \(parameters.summary): max|ΔQ| \(result.maxDiff), "
                + "mean|ΔQ| \(result.meanDiff), labels differing \(result.labelDisagreement)")
        return result
    }

    func testDeeplabParameters() throws {
        for seed: UInt64 in [1, 2] {
            let (_, meanDiff, disagreement) = try compare(.deeplab, seed: seed)
            XCTAssertLessThan(meanDiff, 0.05)
            XCTAssertLessThan(disagreement, 0.03)
        }
    }

    func testPSAParameters() throws {
        for seed: UInt64 in [1, 2] {
            let (maxDiff, _, disagreement) = try compare(.psa, seed: seed)
            XCTAssertLessThan(maxDiff, 0.005)
            XCTAssertEqual(disagreement, 0)
        }
    }
}
