import DenseCRF
import XCTest

/// Our lattice CRF against pydensecrf's own output on the same inputs.
final class PydensecrfFixtureTests: XCTestCase {
    /// Measured: Q equal to pydensecrf's to the bit on the 3-label cases (Eigen's scalar
    /// softmax, glibc's expf, as ours). On the 4-label case Eigen's vectorised exp and
    /// pairwise sum differ in the last bit; one step stays within 1.8e-7, and ten steps
    /// amplify it to 1.1e-5 in the near-black corner with the deeplab colour σ of 3.
    static let qTolerance: Float = 5e-5

    func testQMatchesPydensecrf() throws {
        let fixtures = try CRFFixtures.load()
        XCTAssertEqual(fixtures.cases.count, 3)
        var worst: Float = 0
        for c in fixtures.cases {
            let rgb = try CRFFixtures.bytes("\(c.name)_rgb")
            let unary = try CRFFixtures.floats("\(c.name)_unary")
            XCTAssertEqual(rgb.count, c.width * c.height * 3)
            for name in fixtures.params {
                var parameters = try XCTUnwrap(CRFParameters.named(name))
                for n in fixtures.iterations {
                    parameters.iterations = n
                    let expected = try CRFFixtures.floats("\(c.name)_\(name)_q\(n)")
                    let q = try parameters.inference(
                        rgb: rgb, width: c.width, height: c.height, unary: unary, labels: c.labels)
                    let (maxDiff, _, disagreement) = compareQ(q, expected, labels: c.labels)
                    worst = max(worst, maxDiff)
                    print("pydensecrf \(c.name) \(name) n=\(n): max|ΔQ| \(maxDiff), labels differing \(disagreement)")
                    XCTAssertLessThanOrEqual(maxDiff, Self.qTolerance, "\(c.name) \(name) n=\(n)")
                    XCTAssertEqual(disagreement, 0, "\(c.name) \(name) n=\(n)")
                }
            }
        }
        print("pydensecrf fixtures: worst max|ΔQ| \(worst)")
    }

    func testUnaryMatchesUnaryFromSoftmax() throws {
        for c in try CRFFixtures.load().cases {
            let prob = try CRFFixtures.floats("\(c.name)_prob")
            let expected = try CRFFixtures.floats("\(c.name)_unary")
            let unary = try CRFUnary.fromProbabilities(prob)
            let maxDiff = zip(unary, expected).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            XCTAssertLessThanOrEqual(maxDiff, 2e-6, c.name)
        }
    }

    /// psa/EPS: scores = [(1 − max_c v)^alpha, v...], built by numpy in the fixture script.
    func testCAMScoresMatchPSA() throws {
        let c = try XCTUnwrap(CRFFixtures.load().cases.first { $0.kind == "cam" })
        let n = c.width * c.height
        let cams = try CRFFixtures.floats("\(c.name)_cams")
        let maps = (0..<(c.labels - 1)).map { Array(cams[$0 * n..<($0 + 1) * n]) }
        let expected = try CRFFixtures.floats("\(c.name)_prob")
        let scores = try CRFUnary.camScores(
            classMaps: maps, pixelCount: n, background: .power(alpha: try XCTUnwrap(c.alpha)))
        XCTAssertEqual(scores.count, expected.count)
        let maxDiff = zip(scores, expected).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        XCTAssertLessThanOrEqual(maxDiff, 1e-6)
        XCTAssertEqual(Array(scores[n...]), Array(expected[n...]), "class planes are the maps unchanged")
    }

    /// A wrong fixture comparison must be able to fail: swapping the two
    /// parameter sets moves Q far beyond the tolerance.
    func testSwappedParametersAreCaught() throws {
        let c = try XCTUnwrap(CRFFixtures.load().cases.first)
        let rgb = try CRFFixtures.bytes("\(c.name)_rgb")
        let unary = try CRFFixtures.floats("\(c.name)_unary")
        let q = try CRFParameters.psa.inference(
            rgb: rgb, width: c.width, height: c.height, unary: unary, labels: c.labels)
        let expected = try CRFFixtures.floats("\(c.name)_deeplab_q10")
        XCTAssertGreaterThan(compareQ(q, expected, labels: c.labels).maxDiff, 100 * Self.qTolerance)
    }
}
