/// Depthwise convolution (groups = channels): each channel c of the input is
/// cross-correlated with its own kh×kw filter. Shapes (ConvGeometry with
/// groups = cin = cout = C): x [n, C, h, w], weight [C, 1, kh, kw], bias [C],
/// y [n, C, hout, wout]; padding may be asymmetric (`pad` top/left, `padEnd`
/// bottom/right). Only kh·kw multiply-adds per output: memory-bound, so no
/// im2col + sgemm. `DepthwiseConv2dReference` is the readable loop version,
/// `DepthwiseConv2dFast` walks output rows with the valid column range of
/// each tap computed once (no bounds test in the inner loop) and splits
/// planes over the compute threads. Tests hold them against each other,
/// finite differences and PyTorch.
public enum DepthwiseConv2dReference {
    public static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, _ g: ConvGeometry
    ) {
        for n in 0..<g.n {
            for c in 0..<g.cin {
                for oy in 0..<g.hout {
                    for ox in 0..<g.wout {
                        var acc: Float = bias?[c] ?? 0
                        for ky in 0..<g.kh {
                            for kx in 0..<g.kw {
                                let iy = oy * g.stride - g.pad + ky * g.dilation
                                let ix = ox * g.stride - g.pad + kx * g.dilation
                                guard iy >= 0, iy < g.h, ix >= 0, ix < g.w else { continue }
                                acc += x[((n * g.cin + c) * g.h + iy) * g.w + ix] * weight[(c * g.kh + ky) * g.kw + kx]
                            }
                        }
                        y[((n * g.cin + c) * g.hout + oy) * g.wout + ox] = acc
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
        gradX?.update(repeating: 0, count: g.n * g.cin * g.h * g.w)
        for n in 0..<g.n {
            for c in 0..<g.cin {
                for oy in 0..<g.hout {
                    for ox in 0..<g.wout {
                        let gy = gradY[((n * g.cin + c) * g.hout + oy) * g.wout + ox]
                        gradBias?[c] += gy
                        for ky in 0..<g.kh {
                            for kx in 0..<g.kw {
                                let iy = oy * g.stride - g.pad + ky * g.dilation
                                let ix = ox * g.stride - g.pad + kx * g.dilation
                                guard iy >= 0, iy < g.h, ix >= 0, ix < g.w else { continue }
                                let xi = ((n * g.cin + c) * g.h + iy) * g.w + ix
                                let wi = (c * g.kh + ky) * g.kw + kx
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

public enum DepthwiseConv2dFast {
    /// The output columns ox whose input column ox·stride + offset lies in
    /// 0..<w (offset = kx·dilation − pad).
    @inline(__always)
    static func validColumns(offset: Int, _ g: ConvGeometry) -> Range<Int> {
        let lo = offset >= 0 ? 0 : (-offset + g.stride - 1) / g.stride
        let last = g.w - 1 - offset
        let hi = last < 0 ? 0 : min(g.wout, last / g.stride + 1)
        return lo..<max(lo, hi)
    }

    /// Calls body(oy, iy, tap, dx, columns) for every output row oy and tap
    /// (tap = ky·kw + kx) whose input row iy lies in the image; the tap reads
    /// input column ox·stride + dx for ox in columns. One walk for all three passes.
    @inline(__always)
    static func forEachRowTap(_ g: ConvGeometry, _ body: (Int, Int, Int, Int, Range<Int>) -> Void) {
        for oy in 0..<g.hout {
            for ky in 0..<g.kh {
                let iy = oy * g.stride - g.pad + ky * g.dilation
                guard iy >= 0, iy < g.h else { continue }
                for kx in 0..<g.kw {
                    let dx = kx * g.dilation - g.pad
                    body(oy, iy, ky * g.kw + kx, dx, validColumns(offset: dx, g))
                }
            }
        }
    }

    /// Planes per thread so a thread gets at least ~16k multiply-adds.
    static func minimumPlanes(_ g: ConvGeometry) -> Int { max(1, 16384 / max(g.hout * g.wout * g.kh * g.kw, 1)) }

    public static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, _ g: ConvGeometry
    ) {
        let (hout, wout, s) = (g.hout, g.wout, g.stride)
        Parallel.ranges(g.n * g.cin, minimum: minimumPlanes(g)) { planes in
            for p in planes {
                let c = p % g.cin
                let xp = x + p * g.h * g.w
                let yp = y + p * hout * wout
                let wc = weight + c * g.kh * g.kw
                yp.update(repeating: bias?[c] ?? 0, count: hout * wout)
                forEachRowTap(g) { oy, iy, tap, dx, cols in
                    let (yrow, xrow, wv) = (yp + oy * wout, xp + iy * g.w, wc[tap])
                    if s == 1 {
                        let src = xrow + dx
                        for ox in cols { yrow[ox] += wv * src[ox] }
                    } else {
                        for ox in cols { yrow[ox] += wv * xrow[ox * s + dx] }
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
        let (hout, wout, s) = (g.hout, g.wout, g.stride)
        if let gradX {
            // Planes write disjoint input-gradient planes.
            Parallel.ranges(g.n * g.cin, minimum: minimumPlanes(g)) { planes in
                for p in planes {
                    let c = p % g.cin
                    let gxp = gradX + p * g.h * g.w
                    let gyp = gradY + p * hout * wout
                    let wc = weight + c * g.kh * g.kw
                    gxp.update(repeating: 0, count: g.h * g.w)
                    forEachRowTap(g) { oy, iy, tap, dx, cols in
                        let (gyrow, gxrow, wv) = (gyp + oy * wout, gxp + iy * g.w, wc[tap])
                        if s == 1 {
                            let dst = gxrow + dx
                            for ox in cols { dst[ox] += wv * gyrow[ox] }
                        } else {
                            for ox in cols { gxrow[ox * s + dx] += wv * gyrow[ox] }
                        }
                    }
                }
            }
        }
        guard gradWeight != nil || gradBias != nil else { return }
        // Channels own disjoint weight-gradient entries; the batch is summed inside.
        Parallel.ranges(g.cin, minimum: max(1, minimumPlanes(g) / max(g.n, 1))) { channels in
            var taps = [Float](repeating: 0, count: g.kh * g.kw)
            for c in channels {
                taps.withUnsafeMutableBufferPointer { t in t.update(repeating: 0) }
                var biasSum: Float = 0
                for n in 0..<g.n {
                    let p = n * g.cin + c
                    let xp = x + p * g.h * g.w
                    let gyp = gradY + p * hout * wout
                    if gradBias != nil { for i in 0..<(hout * wout) { biasSum += gyp[i] } }
                    guard gradWeight != nil else { continue }
                    forEachRowTap(g) { oy, iy, tap, dx, cols in
                        let (gyrow, xrow) = (gyp + oy * wout, xp + iy * g.w)
                        var acc: Float = 0
                        if s == 1 {
                            let src = xrow + dx
                            for ox in cols { acc += gyrow[ox] * src[ox] }
                        } else {
                            for ox in cols { acc += gyrow[ox] * xrow[ox * s + dx] }
                        }
                        taps[tap] += acc
                    }
                }
                if let gradWeight { for i in 0..<taps.count { gradWeight[c * g.kh * g.kw + i] += taps[i] } }
                gradBias?[c] += biasSum
            }
        }
    }
}
