/// im2col / col2im for one image.
/// image [cin, h, w] ↔ col [cin·kh·kw, hout·wout], row index (c·kh + ky)·kw + kx.
/// Out-of-image taps read zero (im2col) and are dropped (col2im).
enum Im2col {
    /// col [cin·kh·kw, rows.count·wout]: the columns of output rows `rows` only
    /// (a band, so the forward pass bounds its scratch; all rows by default).
    static func expand(
        _ image: UnsafePointer<Float>, _ g: ConvGeometry, rows: Range<Int>? = nil, into col: UnsafeMutablePointer<Float>
    ) {
        let rows: Range<Int> = rows ?? (0..<g.hout)
        let wout = g.wout
        let plane = rows.count * wout
        Parallel.ranges(g.cin, minimum: max(1, 16384 / max(plane * g.kh * g.kw, 1))) { channels in
            for c in channels {
                let src = image + c * g.h * g.w
                for ky in 0..<g.kh {
                    for kx in 0..<g.kw {
                        let row = col + ((c * g.kh + ky) * g.kw + kx) * plane
                        let dy = ky * g.dilation - g.pad
                        let dx = kx * g.dilation - g.pad
                        for oy in rows {
                            let iy = oy * g.stride + dy
                            let dst = row + (oy - rows.lowerBound) * wout
                            if iy < 0 || iy >= g.h {
                                dst.update(repeating: 0, count: wout)
                                continue
                            }
                            let srow = src + iy * g.w
                            if g.stride == 1 {
                                // Contiguous run: zero the out-of-range ends, copy the middle.
                                let lo = max(0, -dx)
                                let hi = min(wout, g.w - dx)
                                if lo > 0 { dst.update(repeating: 0, count: min(lo, wout)) }
                                if hi > lo { (dst + lo).update(from: srow + lo + dx, count: hi - lo) }
                                if hi < wout { (dst + max(hi, 0)).update(repeating: 0, count: wout - max(hi, 0)) }
                            } else {
                                for ox in 0..<wout {
                                    let ix = ox * g.stride + dx
                                    dst[ox] = (ix >= 0 && ix < g.w) ? srow[ix] : 0
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds col back onto image (which the caller zeroes first).
    static func accumulate(_ col: UnsafePointer<Float>, _ g: ConvGeometry, into image: UnsafeMutablePointer<Float>) {
        let hout = g.hout
        let wout = g.wout
        let plane = hout * wout
        // Channels write disjoint image planes: safe to split over threads.
        Parallel.ranges(g.cin, minimum: max(1, 16384 / max(plane * g.kh * g.kw, 1))) { channels in
            for c in channels {
                let dstImage = image + c * g.h * g.w
                for ky in 0..<g.kh {
                    for kx in 0..<g.kw {
                        let row = col + ((c * g.kh + ky) * g.kw + kx) * plane
                        let dy = ky * g.dilation - g.pad
                        let dx = kx * g.dilation - g.pad
                        // Stride 1: the valid taps of a row are one contiguous run.
                        let lo = g.stride == 1 ? max(0, -dx) : 0
                        let hi = g.stride == 1 ? min(wout, g.w - dx) : 0
                        for oy in 0..<hout {
                            let iy = oy * g.stride + dy
                            if iy < 0 || iy >= g.h { continue }
                            let drow = dstImage + iy * g.w
                            let srow = row + oy * wout
                            if g.stride == 1 {
                                if hi > lo {
                                    let d = drow + lo + dx
                                    let s = srow + lo
                                    for i in 0..<(hi - lo) { d[i] += s[i] }
                                }
                                continue
                            }
                            for ox in 0..<wout {
                                let ix = ox * g.stride + dx
                                if ix >= 0 && ix < g.w { drow[ix] += srow[ox] }
                            }
                        }
                    }
                }
            }
        }
    }
}
