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

    public static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>?, _ g: ConvGeometry
    ) {
        let plane = g.hout * g.wout
        for n in 0..<g.n {
            let xn = x + n * g.cin * g.h * g.w
            let yn = y + n * g.cout * plane
            let col: UnsafePointer<Float>
            if g.isPointwise {
                col = xn
            } else {
                Im2col.expand(xn, g, into: scratch!)
                col = UnsafePointer(scratch!)
            }
            // y_n [cout, plane] = W [cout, patch] · col [patch, plane]
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(g.cout), Int32(plane), Int32(g.patch),
                1, weight, Int32(g.patch), col, Int32(plane), 0, yn, Int32(plane))
            if let bias {
                for co in 0..<g.cout {
                    let row = yn + co * plane
                    let b = bias[co]
                    for i in 0..<plane { row[i] += b }
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
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(g.cout), Int32(g.patch), Int32(plane),
                    1, gyn, Int32(plane), col, Int32(plane), 1, gradWeight, Int32(g.patch))
            }
            if let gradBias { addBiasGradient(gyn, channels: g.cout, plane: plane, into: gradBias) }
            if let gradX {
                let gxn = gradX + n * g.cin * g.h * g.w
                // gcol [patch, plane] = Wᵀ [patch, cout] · gy_n [cout, plane]
                let target = g.isPointwise ? gxn : scratch!
                cblas_sgemm(
                    CblasRowMajor, CblasTrans, CblasNoTrans, Int32(g.patch), Int32(plane), Int32(g.cout),
                    1, weight, Int32(g.patch), gyn, Int32(plane), 0, target, Int32(plane))
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
