import CBLAS

/// Convolution kernels. Shapes (see ConvGeometry): x [n, cin, h, w],
/// weight [cout, cin, kh, kw], bias [cout], y [n, cout, hout, wout].
/// `Conv2dReference` is the readable loop version; `Conv2dFast` the
/// im2col + sgemm one (1×1 stride-1 convolutions go straight to sgemm).
/// Tests hold them against each other, the golden files and finite differences.
public enum Conv2dReference {
    public static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, _ g: ConvGeometry
    ) {
        let hout = g.hout
        let wout = g.wout
        for n in 0..<g.n {
            for co in 0..<g.cout {
                for oy in 0..<hout {
                    for ox in 0..<wout {
                        var acc: Float = bias?[co] ?? 0
                        for ci in 0..<g.cin {
                            for ky in 0..<g.kh {
                                for kx in 0..<g.kw {
                                    let iy = oy * g.stride - g.pad + ky * g.dilation
                                    let ix = ox * g.stride - g.pad + kx * g.dilation
                                    guard iy >= 0, iy < g.h, ix >= 0, ix < g.w else { continue }
                                    acc +=
                                        x[((n * g.cin + ci) * g.h + iy) * g.w + ix]
                                        * weight[((co * g.cin + ci) * g.kh + ky) * g.kw + kx]
                                }
                            }
                        }
                        y[((n * g.cout + co) * hout + oy) * wout + ox] = acc
                    }
                }
            }
        }
    }

    /// Accumulates into gradWeight/gradBias; overwrites gradX when given.
    public static func backward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, gradY: UnsafePointer<Float>,
        gradX: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?,
        gradBias: UnsafeMutablePointer<Float>?, _ g: ConvGeometry
    ) {
        let hout = g.hout
        let wout = g.wout
        gradX?.update(repeating: 0, count: g.n * g.cin * g.h * g.w)
        for n in 0..<g.n {
            for co in 0..<g.cout {
                for oy in 0..<hout {
                    for ox in 0..<wout {
                        let gy = gradY[((n * g.cout + co) * hout + oy) * wout + ox]
                        gradBias?[co] += gy
                        for ci in 0..<g.cin {
                            for ky in 0..<g.kh {
                                for kx in 0..<g.kw {
                                    let iy = oy * g.stride - g.pad + ky * g.dilation
                                    let ix = ox * g.stride - g.pad + kx * g.dilation
                                    guard iy >= 0, iy < g.h, ix >= 0, ix < g.w else { continue }
                                    let xi = ((n * g.cin + ci) * g.h + iy) * g.w + ix
                                    let wi = ((co * g.cin + ci) * g.kh + ky) * g.kw + kx
                                    gradWeight?[wi] += gy * x[xi]
                                    gradX?[xi] += gy * weight[wi]
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

public enum Conv2dFast {
    /// Floats of scratch space the fast kernels need for geometry g.
    public static func scratchCount(_ g: ConvGeometry) -> Int {
        g.isPointwise || g.isDepthwise ? 0 : g.patch * g.hout * g.wout
    }

    /// Floats of scratch the forward pass needs: im2col in bands of output
    /// rows of at most `forwardBandFloats` (a VOC image at inference scale 2
    /// would otherwise need 432 MB for b2's stride-2 convolution).
    public static func forwardScratchCount(_ g: ConvGeometry) -> Int {
        g.isPointwise || g.isDepthwise ? 0 : g.patch * g.wout * forwardBandRows(g)
    }

    /// Budget of one band of the forward im2col, in floats (32 MB).
    nonisolated(unsafe) public static var forwardBandFloats = 1 << 23

    /// Output rows per forward band: all of them when they fit the budget.
    static func forwardBandRows(_ g: ConvGeometry) -> Int {
        min(g.hout, max(1, forwardBandFloats / max(g.patch * g.wout, 1)))
    }

    public static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>?, _ g: ConvGeometry
    ) {
        let plane = g.hout * g.wout
        let band = g.isPointwise ? g.hout : forwardBandRows(g)
        for n in 0..<g.n {
            let xn = x + n * g.cin * g.h * g.w
            let yn = y + n * g.cout * plane
            for first in stride(from: 0, to: g.hout, by: band) {
                let rows = first..<min(first + band, g.hout)
                let columns = rows.count * g.wout
                let col: UnsafePointer<Float>
                if g.isPointwise {
                    col = xn + first * g.wout
                } else {
                    Im2col.expand(xn, g, rows: rows, into: scratch!)
                    col = UnsafePointer(scratch!)
                }
                // y_n [cout, rows of the band] = W [cout, patch] · col [patch, columns]
                Gemm.multiply(
                    GemmProduct(
                        m: g.cout, n: columns, k: g.patch, a: weight, lda: g.patch, b: col,
                        ldb: g.isPointwise ? plane : columns, c: yn + first * g.wout, ldc: plane))
            }
            if let bias {
                Parallel.ranges(g.cout, minimum: max(1, 65536 / max(plane, 1))) { channels in
                    for co in channels {
                        let row = yn + co * plane
                        let b = bias[co]
                        for i in 0..<plane { row[i] += b }
                    }
                }
            }
        }
    }

    /// Accumulates into gradWeight/gradBias; overwrites gradX when given.
    public static func backward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, gradY: UnsafePointer<Float>,
        gradX: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?,
        gradBias: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>?,
        _ g: ConvGeometry
    ) {
        let plane = g.hout * g.wout
        for n in 0..<g.n {
            let xn = x + n * g.cin * g.h * g.w
            let gyn = gradY + n * g.cout * plane
            if let gradWeight {
                let col: UnsafePointer<Float>
                if g.isPointwise {
                    col = xn
                } else {
                    Im2col.expand(xn, g, into: scratch!)
                    col = UnsafePointer(scratch!)
                }
                // gW [cout, patch] += gy_n [cout, plane] · colᵀ [plane, patch]
                Gemm.multiply(
                    GemmProduct(
                        transB: true, m: g.cout, n: g.patch, k: plane, a: gyn, lda: plane, b: col, ldb: plane,
                        beta: 1, c: gradWeight, ldc: g.patch))
            }
            if let gradBias { addBiasGradient(gyn, channels: g.cout, plane: plane, into: gradBias) }
            if let gradX {
                let gxn = gradX + n * g.cin * g.h * g.w
                // gcol [patch, plane] = Wᵀ [patch, cout] · gy_n [cout, plane]
                let target = g.isPointwise ? gxn : scratch!
                Gemm.multiply(
                    GemmProduct(
                        transA: true, m: g.patch, n: plane, k: g.cout, a: weight, lda: g.patch, b: gyn, ldb: plane,
                        c: target, ldc: plane))
                if !g.isPointwise {
                    gxn.update(repeating: 0, count: g.cin * g.h * g.w)
                    Im2col.accumulate(scratch!, g, into: gxn)
                }
            }
        }
    }

    /// gradBias [channels] += the sums of gradY's planes ([channels, plane], one image).
    public static func addBiasGradient(
        _ gradY: UnsafePointer<Float>, channels: Int, plane: Int, into gradBias: UnsafeMutablePointer<Float>
    ) {
        for c in 0..<channels {
            let row = gradY + c * plane
            var s: Float = 0
            for i in 0..<plane { s += row[i] }
            gradBias[c] += s
        }
    }
}
