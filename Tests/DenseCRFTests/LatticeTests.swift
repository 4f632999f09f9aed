import DenseCRF
import Foundation
import XCTest

/// The permutohedral lattice's constants, structure and errors.
final class LatticeTests: XCTestCase {
    func testScaleFactorsAndSliceScale() {
        let two = PermutohedralLattice.scaleFactors(dimension: 2)
        XCTAssertEqual(two.count, 2)
        XCTAssertEqual(two[0], Float(3).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(two[1], 1.0, accuracy: 1e-6)
        let five = PermutohedralLattice.scaleFactors(dimension: 5)
        for (a, b) in zip(five, [3.464_101_6, 2.0, 1.414_213_6, 1.095_445_1, 0.894_427_2] as [Float]) {
            XCTAssertEqual(a, b, accuracy: 1e-6)
        }
        XCTAssertEqual(PermutohedralLattice.sliceScale(dimension: 2), 0.8, accuracy: 1e-7)
        XCTAssertEqual(PermutohedralLattice.sliceScale(dimension: 5), 32.0 / 33.0, accuracy: 1e-7)
    }

    /// pydensecrf's SSE init locates its zero-padded lanes: when N is not a multiple of 4
    /// the simplex around the zero feature vector joins the lattice.
    func testPaddingSimplexJoinsWhenNIsNotAMultipleOfFour() throws {
        for d in [2, 5] {
            let far = [Float](repeating: 40, count: d)
            let three = try PermutohedralLattice(features: far + far + far, pointCount: 3, dimension: d)
            let four = try PermutohedralLattice(features: far + far + far + far, pointCount: 4, dimension: d)
            XCTAssertEqual(four.vertexCount, d + 1, "one simplex for four equal points, d = \(d)")
            XCTAssertEqual(three.vertexCount, 2 * (d + 1), "plus the zero vector's simplex, d = \(d)")
        }
    }

    /// The lattice is linear in the values, channel by channel, and a point far from
    /// every other gets α·Σ_r w_r² × (its blur gain) of its own value only.
    func testComputeIsLinearAndChannelsIndependent() throws {
        var random = SplitMix(seed: 11)
        let (n, d, c) = (3000, 5, 3)
        let features = (0..<(n * d)).map { _ in Float(random.unit() * 30) }
        let lattice = try PermutohedralLattice(features: features, pointCount: n, dimension: d)
        XCTAssertLessThanOrEqual(lattice.vertexCount, n * (d + 1) + d + 1)
        XCTAssertGreaterThan(lattice.vertexCount, n)  // sparse 5-d points: hash table grows many times
        let a = (0..<(n * c)).map { _ in Float(random.unit()) }
        let b = (0..<(n * c)).map { _ in Float(random.unit()) }
        let ka = lattice.compute(a, channels: c)
        let kb = lattice.compute(b, channels: c)
        let kab = lattice.compute(zip(a, b).map { $0 + $1 }, channels: c)
        for i in 0..<(n * c) { XCTAssertEqual(kab[i], ka[i] + kb[i], accuracy: 1e-4 * max(1, abs(kab[i]))) }
        // Channel 1 alone, through a one-channel call, gives the same numbers.
        let single = lattice.compute((0..<n).map { a[$0 * c + 1] }, channels: 1)
        for i in 0..<n { XCTAssertEqual(single[i], ka[i * c + 1], accuracy: 1e-5 * max(1, abs(single[i]))) }
    }

    /// For a σ of several pixels the lattice's K·1 follows the exact Gaussian degree
    /// D(i) = Σ_j exp(−½‖f_i − f_j‖²) up to one global scale (which the symmetric
    /// normalisation cancels): measured mean ratio 0.870, largest deviation from it 11.9%.
    func testDegreeFollowsTheExactGaussian() throws {
        let (w, h) = (30, 20)
        let kernel = try PairwiseKernel.gaussian(width: w, height: h, sxy: 4, compat: 1)
        let lattice = try PermutohedralLattice(features: kernel.features, pointCount: w * h, dimension: 2)
        let approx = lattice.compute([Float](repeating: 1, count: w * h), channels: 1)
        var ratios: [Double] = []
        for i in 0..<(w * h) {
            var exact = 0.0
            for j in 0..<(w * h) {
                let dx = Double(kernel.features[2 * i] - kernel.features[2 * j])
                let dy = Double(kernel.features[2 * i + 1] - kernel.features[2 * j + 1])
                exact += Foundation.exp(-0.5 * (dx * dx + dy * dy))
            }
            ratios.append(Double(approx[i]) / exact)
        }
        let mean = ratios.reduce(0, +) / Double(ratios.count)
        let spread = ratios.map { abs($0 / mean - 1) }.max()!
        print("lattice degree / exact degree: mean \(mean), max relative deviation \(spread)")
        XCTAssertLessThan(spread, 0.15)
    }

    func testRefusesBadFeatures() {
        XCTAssertThrowsError(try PermutohedralLattice(features: [0, .nan], pointCount: 1, dimension: 2))
        XCTAssertThrowsError(try PermutohedralLattice(features: [0, 1e9], pointCount: 1, dimension: 2)) {
            XCTAssertTrue("\($0)".contains("too large"), "\($0)")
        }
        XCTAssertThrowsError(try PermutohedralLattice(features: [0, 1, 2], pointCount: 2, dimension: 2))
        XCTAssertThrowsError(try PairwiseKernel.gaussian(width: 4, height: 4, sxy: 0, compat: 3))
        XCTAssertThrowsError(
            try PairwiseKernel.bilateral(width: 2, height: 2, sxy: 3, srgb: 3, rgb: [1, 2], compat: 3))
        XCTAssertThrowsError(try DenseCRF(width: 0, height: 4, labels: 2))
        XCTAssertThrowsError(try CRFUnary.fromProbabilities([0.5, .nan]))
        var p = CRFParameters.deeplab
        p.iterations = -1
        XCTAssertThrowsError(try p.validate())
        p = .psa
        p.bilateralSrgb = .infinity
        XCTAssertThrowsError(try p.validate())
    }
}
