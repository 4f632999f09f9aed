import Foundation

/// The dense CRF computed exactly, O(N²) per iteration, in Double: what the
/// lattice approximates. For tests and the benchmark only (fine up to ~64×64).
///
///     k_m(i, j) = exp(−½‖F_m[i] − F_m[j]‖²)       (j = i included: k = 1)
///     D_m(i)   = Σ_j k_m(i, j)
///     K̃_m(i, j) = k_m(i, j) / sqrt(D_m(i)·D_m(j))
///     Q = softmax_l(−U);  repeat: A(l, i) = −U(l, i) + Σ_m w_m Σ_j K̃_m(i, j)·Q(l, j),  Q = softmax_l(A)
public enum ExactDenseCRF {
    /// unary: M × N label-major (M × H × W); kernels over the same N pixels.
    /// Returns Q, M × N label-major, rounded to Float at the end.
    public static func inference(unary: [Float], labels m: Int, kernels: [PairwiseKernel], iterations: Int) -> [Float] {
        precondition(m >= 1 && unary.count % m == 0 && iterations >= 0, "unary must be M × N")
        let n = unary.count / m
        let degrees = kernels.map { kernel in
            (0..<n).map { i in (0..<n).reduce(0.0) { $0 + similarity(kernel, i, $1) } }
        }
        var q = softmax(unary.map { -Double($0) }, labels: m)
        for _ in 0..<iterations {
            var scores = unary.map { -Double($0) }
            for (kernel, degree) in zip(kernels, degrees) {
                for i in 0..<n {
                    var message = [Double](repeating: 0, count: m)
                    for j in 0..<n {
                        let k = similarity(kernel, i, j) / (degree[i] * degree[j]).squareRoot()
                        for l in 0..<m { message[l] += k * q[l * n + j] }
                    }
                    for l in 0..<m { scores[l * n + i] += Double(kernel.weight) * message[l] }
                }
            }
            q = softmax(scores, labels: m)
        }
        return q.map { Float($0) }
    }

    /// exp(−½‖f_i − f_j‖²) for the kernel's features.
    static func similarity(_ kernel: PairwiseKernel, _ i: Int, _ j: Int) -> Double {
        let d = kernel.dimension
        var squared = 0.0
        for c in 0..<d {
            let diff = Double(kernel.features[i * d + c]) - Double(kernel.features[j * d + c])
            squared += diff * diff
        }
        return exp(-0.5 * squared)
    }

    /// Softmax over the labels of each pixel; scores M × N label-major.
    static func softmax(_ scores: [Double], labels m: Int) -> [Double] {
        let n = scores.count / m
        var q = scores
        for i in 0..<n {
            let top = (0..<m).map { scores[$0 * n + i] }.max()!
            let sum = (0..<m).reduce(0.0) { $0 + exp(scores[$1 * n + i] - top) }
            for l in 0..<m { q[l * n + i] = exp(scores[l * n + i] - top) / sum }
        }
        return q
    }
}
