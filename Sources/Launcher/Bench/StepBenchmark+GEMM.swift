import Engine

extension StepBenchmark {
    /// The GEMMs the fast kernels issue for the recorded convolutions, with
    /// their counts in one step and the kernels' transposes: forward
    /// W·col; weight gradient gy·colᵀ; data gradient Wᵀ·gy.
    static func gemmShapes(_ records: [LayerProfiler.Record]) -> [SgemmBenchmark.Shape: Int] {
        var shapes: [SgemmBenchmark.Shape: Int] = [:]
        // Depthwise convolutions are no GEMM (kh·kw multiply-adds per output, memory-bound): left out of the
        // comparison; docs/PERFORMANCE.md reports them separately from the per-layer figures.
        for r in records where !r.geometry.isDepthwise {
            let g = r.geometry
            let plane = g.hout * g.wout
            shapes[.init(m: g.cout, n: plane, k: g.patch), default: 0] += g.n
            let backwardGEMMs = r.backwardMACs / max(g.macs, 1)
            if backwardGEMMs >= 1 {
                shapes[.init(m: g.cout, n: g.patch, k: plane, transposeB: true), default: 0] += g.n
            }
            if backwardGEMMs >= 2 {
                shapes[.init(m: g.patch, n: plane, k: g.cout, transposeA: true), default: 0] += g.n
            }
        }
        return shapes
    }
}
