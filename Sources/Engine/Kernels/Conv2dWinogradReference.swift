/// The readable Winograd F(2×2, 3×3) convolution, for tests: the matrices of
/// Lavin & Gray written out and multiplied as matrices, one tile, one output
/// and one input channel at a time, Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A summed over
/// input channels. Same tiling and shapes as Conv2dWinograd.forward.
public enum Conv2dWinogradReference {
    static let bT: [[Float]] = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    static let g: [[Float]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
    static let aT: [[Float]] = [[1, 1, 1, 0], [0, 1, -1, -1]]

    static func multiply(_ a: [[Float]], _ b: [[Float]]) -> [[Float]] {
        a.map { row in (0..<b[0].count).map { j in zip(row, b).reduce(0) { $0 + $1.0 * $1.1[j] } } }
    }

    static func transpose(_ a: [[Float]]) -> [[Float]] {
        (0..<a[0].count).map { j in a.map { $0[j] } }
    }

    public static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, _ geometry: ConvGeometry
    ) {
        precondition(Conv2dWinograd.supports(geometry))
        let tiling = WinogradTiling(
            n: geometry.n, outH: geometry.hout, outW: geometry.wout, dilation: geometry.dilation)
        let d = geometry.dilation
        let (h, w, cin, cout) = (geometry.h, geometry.w, geometry.cin, geometry.cout)
        for t in 0..<tiling.count {
            let (image, oy, ox) = tiling.origin(t)
            for co in 0..<cout {
                var m = [[Float]](repeating: [Float](repeating: 0, count: 4), count: 4)
                for ci in 0..<cin {
                    let tile: [[Float]] = (0..<4).map { r in
                        (0..<4).map { k in
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
                    for r in 0..<4 { for k in 0..<4 { m[r][k] += u[r][k] * v[r][k] } }
                }
                let out = multiply(multiply(aT, m), transpose(aT))
                for r in 0..<2 {
                    for k in 0..<2 {
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
