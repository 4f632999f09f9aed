import Engine
import Foundation

extension StepBenchmark {
    /// `--compare-conv`: the step under im2col + sgemm and under the chosen
    /// algorithm, alternating A B A B (one step each, `rounds` rounds) in
    /// this process, plus one profiled step each for the per-layer table of
    /// the 3×3 stride-1 convolutions. Leaves `ConvAlgorithm.current` as chosen.
    func compareConvAlgorithms(
        _ chosen: ConvAlgorithm, rounds: Int, step: () -> Double, log: RankLog
    ) -> [String: Any] {
        let algorithms: [ConvAlgorithm] = [.gemm, chosen]
        var seconds: [[Double]] = [[], []]
        for _ in 0..<rounds {
            for (i, algorithm) in algorithms.enumerated() {
                ConvAlgorithm.current = algorithm
                seconds[i].append(step())
            }
        }
        var profiles: [[String: LayerProfiler.Record]] = []
        for algorithm in algorithms {
            ConvAlgorithm.current = algorithm
            LayerProfiler.shared.reset()
            LayerProfiler.shared.enabled = true
            _ = step()
            LayerProfiler.shared.enabled = false
            profiles.append(
                Dictionary(
                    LayerProfiler.shared.records.map { ("\($0.name)@\($0.geometry.h)", $0) },
                    uniquingKeysWith: { a, _ in a }))
        }
        ConvAlgorithm.current = chosen
        let mean = seconds.map { $0.reduce(0, +) / Double(max($0.count, 1)) }
        log.info(
            String(
                format: "conv algorithms, %d alternating round(s): gemm %.3f s/step, %@ %.3f s/step → %.3f×",
                rounds, mean[0], chosen.rawValue, mean[1], mean[0] / mean[1]))
        var layers: [[String: Any]] = []
        for (key, base) in profiles[0].sorted(by: { $0.key < $1.key }) where Conv2dWinograd.supports(base.geometry) {
            guard let other = profiles[1][key] else { continue }
            let g = base.geometry
            let row: [String: Any] = [
                "name": base.name, "input": [g.n, g.cin, g.h, g.w], "cout": g.cout, "dilation": g.dilation,
                "gemm_forward_ms": base.forwardSeconds * 1000, "gemm_backward_ms": base.backwardSeconds * 1000,
                "forward_ms": other.forwardSeconds * 1000, "backward_ms": other.backwardSeconds * 1000,
            ]
            layers.append(row)
            log.info(
                String(
                    format: "  %@ %d→%d %dx%d d%d: forward %.1f → %.1f ms, backward %.1f → %.1f ms", base.name, g.cin,
                    g.cout, g.h, g.w, g.dilation, base.forwardSeconds * 1000, other.forwardSeconds * 1000,
                    base.backwardSeconds * 1000, other.backwardSeconds * 1000))
        }
        return [
            "conv_compare": [
                "algorithm": chosen.rawValue, "gemm_step_seconds": seconds[0], "step_seconds": seconds[1],
                "speedup": mean[0] / mean[1], "layers": layers,
            ] as [String: Any]
        ]
    }
}
