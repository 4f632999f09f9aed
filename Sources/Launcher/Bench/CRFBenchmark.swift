import DenseCRF
import Distributed
import Foundation
import Support

/// `eps-dist bench --crf`: seconds per image of the lattice dense CRF on a
/// VOC-sized synthetic picture (500×375; 21 labels and the typical 3; both
/// parameter sets; 10 iterations), and on a small picture the lattice against
/// the exact O(N²) CRF: both times, their ratio, max and mean |ΔQ|, label agreement.
/// Single-threaded; under MPI every rank runs it and rank 0 prints.
struct CRFBenchmark {
    let repeats: Int
    let comm: Communicator

    func run() throws -> [String: Any] {
        guard (1...100).contains(repeats) else { throw UsageError("bench --crf takes --steps 1…100 (timed repeats)") }
        let log = RankLog(rank: comm.rank)
        var rows: [[String: Any]] = []
        let voc = Self.picture(width: 500, height: 375)
        for labels in [21, 3] {
            let unary = try Self.unary(groundTruth: voc.groundTruth, labels: labels, key: 7)
            for (name, parameters) in CRFParameters.named {
                var setup = 0.0
                var inference = 0.0
                for run in 0...repeats {  // run 0 warms up and is not counted
                    let t0 = Date()
                    var crf = try DenseCRF(width: voc.width, height: voc.height, labels: labels)
                    try crf.setUnaryEnergy(unary)
                    for kernel in try parameters.kernels(width: voc.width, height: voc.height, rgb: voc.rgb) {
                        try crf.addPairwise(kernel)
                    }
                    let t1 = Date()
                    _ = crf.inference(iterations: parameters.iterations)
                    guard run > 0 else { continue }
                    setup += t1.timeIntervalSince(t0)
                    inference += Date().timeIntervalSince(t1)
                }
                setup /= Double(repeats)
                inference /= Double(repeats)
                log.info(
                    String(
                        format: "crf %@ 500×375, %2d labels, %d iterations: %.3f s per image (lattices and "
                            + "normalisation %.3f s, mean field %.3f s)",
                        name, labels, parameters.iterations, setup + inference, setup, inference))
                rows.append([
                    "parameters": name, "width": 500, "height": 375, "labels": labels,
                    "iterations": parameters.iterations, "seconds_per_image": setup + inference,
                    "setup_seconds": setup, "inference_seconds": inference,
                ])
            }
        }
        return ["voc_sized": rows, "lattice_vs_exact": try latticeVersusExact(log: log)]
    }

    /// The lattice and the exact CRF on a 64×48 picture with 3 labels.
    func latticeVersusExact(log: RankLog) throws -> [[String: Any]] {
        let small = Self.picture(width: 64, height: 48)
        let labels = 3
        let unary = try Self.unary(groundTruth: small.groundTruth, labels: labels, key: 8)
        var rows: [[String: Any]] = []
        for (name, parameters) in CRFParameters.named {
            let t0 = Date()
            let lattice = try parameters.inference(
                rgb: small.rgb, width: small.width, height: small.height, unary: unary, labels: labels)
            let t1 = Date()
            let exact = ExactDenseCRF.inference(
                unary: unary, labels: labels,
                kernels: try parameters.kernels(width: small.width, height: small.height, rgb: small.rgb),
                iterations: parameters.iterations)
            let t2 = Date()
            let latticeSeconds = t1.timeIntervalSince(t0)
            let exactSeconds = t2.timeIntervalSince(t1)
            let maxDiff = zip(lattice, exact).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            let meanDiff = zip(lattice, exact).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / Double(exact.count)
            let a = DenseCRF.labelMap(lattice, labels: labels)
            let b = DenseCRF.labelMap(exact, labels: labels)
            let agreement = Double(zip(a, b).filter { $0 == $1 }.count) / Double(a.count)
            log.info(
                String(
                    format: "crf %@ 64×48, 3 labels: lattice %.4f s, exact %.2f s (%.0f× slower); "
                        + "max|ΔQ| %.4g, mean|ΔQ| %.3g, labels agreeing %.2f%%",
                    name, latticeSeconds, exactSeconds, exactSeconds / latticeSeconds, maxDiff, meanDiff,
                    agreement * 100))
            rows.append([
                "parameters": name, "width": small.width, "height": small.height, "labels": labels,
                "lattice_seconds": latticeSeconds, "exact_seconds": exactSeconds,
                "exact_over_lattice": exactSeconds / latticeSeconds, "max_abs_dq": Double(maxDiff),
                "mean_abs_dq": meanDiff, "label_agreement": agreement,
            ])
        }
        return rows
    }

    /// Image synth_000000 of `eps-dist synth --seed 0 --scale 1.43` (at least 500×400), cropped
    /// to width × height: RGB H × W × 3 and its ground truth (0 = background and borders).
    static func picture(width: Int, height: Int) -> (width: Int, height: Int, rgb: [UInt8], groundTruth: [UInt8]) {
        let scene = SyntheticWriter.scene(seed: 0, index: 0, scale: 1.43)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        var truth = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let source = y * scene.image.width + x
                for c in 0..<3 { rgb[(y * width + x) * 3 + c] = scene.image.pixels[source * 3 + c] }
                let g = scene.groundTruth.pixels[source]
                truth[y * width + x] = g == 255 ? 0 : g
            }
        }
        return (width, height, rgb, truth)
    }

    /// Unary energies (labels × N) of noisy probabilities that favour the ground truth
    /// (folded into the label count).
    static func unary(groundTruth: [UInt8], labels: Int, key: UInt64) throws -> [Float] {
        var rng = KeyedRandom(key: key)
        let n = groundTruth.count
        var prob = [Float](repeating: 0, count: labels * n)
        for i in 0..<n {
            let truth = Int(groundTruth[i]) % labels
            let logits = (0..<labels).map { l in rng.uniform(-1.5, 1.5) + (l == truth ? 1.2 : 0) }
            let e = logits.map { Foundation.exp($0) }
            let sum = e.reduce(0, +)
            for l in 0..<labels { prob[l * n + i] = e[l] / sum }
        }
        return try CRFUnary.fromProbabilities(prob)
    }
}
