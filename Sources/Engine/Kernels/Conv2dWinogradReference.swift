/// The readable Winograd F(m×m, 3×3) convolution, for tests: the matrices of
/// Lavin & Gray written out and multiplied as matrices, one tile, one output
/// and one input channel at a time, Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A summed over
/// input channels. Same tiling and shapes as Conv2dWinograd.forward.
public enum Conv2dWinogradReference {
    /// Bᵀ, G and Aᵀ of a variant.
    static func matrices(_ variant: WinogradVariant) -> (bT: [[Float]], g: [[Float]], aT: [[Float]]) {
        switch variant {
        case .f2x2:
            return (
                [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
                [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
                [[1, 1, 1, 0], [0, 1, -1, -1]]
            )
        case .f4x4:
            return (
                [
                    [4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0],
                    [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1],
                ],
                [
                    [1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6],
                    [1 / 24, -1 / 12, 1 / 6], [0, 0, 1],
                ],
                [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]
            )
        }
    }

    static func multiply(_ a: [[Float]], _ b: [[Float]]) -> [[Float]] {
        a.map { row in (0..<b[0].count).map { j in zip(row, b).reduce(0) { $0 + $1.0 * $1.1[j] } } }
    }

    static func transpose(_ a: [[Float]]) -> [[Float]] {
        (0..<a[0].count).map { j in a.map { $0[j] } }
    }

    public static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, _ geometry: ConvGeometry, _ variant: WinogradVariant
    ) {
        precondition(Conv2dWinograd.supports(geometry))
        let (bT, g, aT) = matrices(variant)
        let (m, span) = (variant.tileOutputs, variant.tileOutputs + 2)
        let tiling = WinogradTiling(
            n: geometry.n, outH: geometry.hout, outW: geometry.wout, dilation: geometry.dilation, tileOutputs: m)
        let d = geometry.dilation
        let (h, w, cin, cout) = (geometry.h, geometry.w, geometry.cin, geometry.cout)
        for t in 0..<tiling.count {
            let (image, oy, ox) = tiling.origin(t)
            for co in 0..<cout {
                var sums = [[Float]](repeating: [Float](repeating: 0, count: span), count: span)
                for ci in 0..<cin {
                    let tile: [[Float]] = (0..<span).map { r in
                        (0..<span).map { k in
                            let iy = oy - geometry.pad + r * d
                            let ix = ox - geometry.pad + k * d
                            guard iy >= 0, iy < h, ix >= 0, ix < w else { return 0 }
                            return x[((image * cin + ci) * h + iy) * w + ix]
                        }
                    }
                    let kernel: [[Float]] = (0..<3).map { r in
                        (0..<3).map { k in weight[(co * cin + ci) * 9 + 3 * r + k] }
                    }
                    let v = multiply(multiply(bT, tile), transpose(bT))
                    let u = multiply(multiply(g, kernel), transpose(g))
                    for r in 0..<span { for k in 0..<span { sums[r][k] += u[r][k] * v[r][k] } }
                }
                let out = multiply(multiply(aT, sums), transpose(aT))
                for r in 0..<m {
                    for k in 0..<m {
                        let (py, px) = (oy + r * d, ox + k * d)
                        guard py < geometry.hout, px < geometry.wout else { continue }
                        y[((image * cout + co) * geometry.hout + py) * geometry.wout + px] =
                            out[r][k] + (bias?[co] ?? 0)
                    }
                }
            }
        }
    }
}
