import DenseCRF
import Foundation
import XCTest

/// The O(N²) reference on cases small enough to check by hand.
final class ExactReferenceTests: XCTestCase {
    /// Two pixels at distance 1 (sxy 1, weight 1), two labels, p = [[0.8, 0.3], [0.2, 0.7]]
    /// (label-major). k01 = e^−½, D = 1 + e^−½, K̃ = [[1, e^−½], [e^−½, 1]]/D;
    /// after one step Q(0, ·) = 1/(1 + exp(A1 − A0)) with A = log p + K̃·p per label:
    /// 0.8332382810869949 and 0.29530482789319973 (computed in Double by hand).
    func testTwoPixelsByHand() throws {
        let p: [Float] = [0.8, 0.3, 0.2, 0.7]
        let unary = try CRFUnary.fromProbabilities(p)
        let kernel = try PairwiseKernel.gaussian(width: 2, height: 1, sxy: 1, compat: 1)
        let q0 = ExactDenseCRF.inference(unary: unary, labels: 2, kernels: [kernel], iterations: 0)
        for (a, b) in zip(q0, p) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let q1 = ExactDenseCRF.inference(unary: unary, labels: 2, kernels: [kernel], iterations: 1)
        XCTAssertEqual(q1[0], 0.833_238_281_086_994_9, accuracy: 1e-6)
        XCTAssertEqual(q1[1], 0.295_304_827_893_199_73, accuracy: 1e-6)
        XCTAssertEqual(q1[2], 1 - 0.833_238_281_086_994_9, accuracy: 1e-6)
        XCTAssertEqual(q1[3], 1 - 0.295_304_827_893_199_73, accuracy: 1e-6)
    }

    /// Iterations 0 return softmax(−U) in both implementations, for any unary.
    func testZeroIterationsIsSoftmaxOfMinusUnary() throws {
        let (w, h, m) = (7, 5, 4)
        let n = w * h
        var random = SplitMix(seed: 3)
        let unary = (0..<(m * n)).map { _ in Float(random.unit() * 12) }
        let rgb = (0..<(n * 3)).map { _ in UInt8(random.unit() * 255) }
        var expected = [Float](repeating: 0, count: m * n)
        for i in 0..<n {
            let e = (0..<m).map { Foundation.exp(-Double(unary[$0 * n + i])) }
            let sum = e.reduce(0, +)
            for l in 0..<m { expected[l * n + i] = Float(e[l] / sum) }
        }
        var parameters = CRFParameters.psa
        parameters.iterations = 0
        let lattice = try parameters.inference(rgb: rgb, width: w, height: h, unary: unary, labels: m)
        let exact = ExactDenseCRF.inference(
            unary: unary, labels: m, kernels: try parameters.kernels(width: w, height: h, rgb: rgb), iterations: 0)
        for l in 0..<(m * n) {
            XCTAssertEqual(lattice[l], expected[l], accuracy: 1e-6)
            XCTAssertEqual(exact[l], expected[l], accuracy: 1e-7)
        }
    }

    /// With weight 0 the pairwise terms vanish: any number of iterations keeps softmax(−U).
    func testZeroWeightsKeepTheUnary() throws {
        let p: [Float] = [0.6, 0.1, 0.9, 0.4, 0.9, 0.1]
        let unary = try CRFUnary.fromProbabilities(p)
        let kernel = try PairwiseKernel.gaussian(width: 3, height: 1, sxy: 2, compat: 0)
        let q = ExactDenseCRF.inference(unary: unary, labels: 2, kernels: [kernel], iterations: 5)
        let crf = try {
            var crf = try DenseCRF(width: 3, height: 1, labels: 2)
            try crf.setUnaryEnergy(unary)
            try crf.addPairwise(kernel)
            return crf
        }()
        let lattice = crf.inference(iterations: 5)
        for i in 0..<6 {
            XCTAssertEqual(q[i], p[i], accuracy: 1e-6)
            XCTAssertEqual(lattice[i], p[i], accuracy: 1e-6)
        }
    }
}

/// A small deterministic generator for test inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
