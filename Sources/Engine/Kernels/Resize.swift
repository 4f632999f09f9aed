/// Resizing of NCHW maps as PyTorch's F.interpolate does it.
public enum NearestResize {
    /// Source index of legacy mode='nearest', computed in Float32 exactly as
    /// PyTorch's CPU kernel: min(floor(Float(dst) · Float(in/out)), in − 1),
    /// with the special cases out == in (copy) and out == 2·in (dst >> 1).
    public static func sourceIndex(_ dst: Int, input: Int, output: Int) -> Int {
        if output == input { return dst }
        if output == 2 * input { return dst >> 1 }
        let scale = Float(input) / Float(output)
        return min(Int((Float(dst) * scale).rounded(.down)), input - 1)
    }

    public static func forward(_ x: Tensor, height: Int, width: Int) -> Tensor {
        let (n, c, h, w) = x.nchw
        let rows = (0..<height).map { sourceIndex($0, input: h, output: height) }
        let cols = (0..<width).map { sourceIndex($0, input: w, output: width) }
        var y = Tensor(uninitialized: [n, c, height, width])
        x.withUnsafeBufferPointer { src in
            y.withUnsafeMutableBufferPointer { dst in
                for p in 0..<(n * c) {
                    for oy in 0..<height {
                        for ox in 0..<width {
                            dst[(p * height + oy) * width + ox] = src[(p * h + rows[oy]) * w + cols[ox]]
                        }
                    }
                }
            }
        }
        return y
    }

    public static func backward(gradY: Tensor, inputShape: [Int]) -> Tensor {
        let (h, w) = (inputShape[2], inputShape[3])
        let (n, c, height, width) = gradY.nchw
        let rows = (0..<height).map { sourceIndex($0, input: h, output: height) }
        let cols = (0..<width).map { sourceIndex($0, input: w, output: width) }
        var gx = Tensor(zeros: inputShape)
        gradY.withUnsafeBufferPointer { gy in
            gx.withUnsafeMutableBufferPointer { g in
                for p in 0..<(n * c) {
                    for oy in 0..<height {
                        for ox in 0..<width {
                            g[(p * h + rows[oy]) * w + cols[ox]] += gy[(p * height + oy) * width + ox]
                        }
                    }
                }
            }
        }
        return gx
    }
}

/// Bilinear resize without antialiasing. align_corners false:
/// src = max(scale·(dst + 0.5) − 0.5, 0) with scale = Float(in)/Float(out);
/// align_corners true: src = dst·(in − 1)/(out − 1). Coordinates in Float32,
/// in PyTorch's order. Backward scatters with the same weights.
public enum BilinearResize {
    struct Tap {
        var i0: Int
        var i1: Int
        var l0: Float
        var l1: Float
    }

    /// `coordinateScale`: the source step per output pixel when the caller
    /// gave a scale factor p (PyTorch then uses 1/p, not in/out).
    static func taps(input: Int, output: Int, alignCorners: Bool, coordinateScale: Float? = nil) -> [Tap] {
        (0..<output).map { dst in
            let src: Float
            if alignCorners {
                src = output > 1 ? Float(dst) * (Float(input - 1) / Float(output - 1)) : 0
            } else {
                let scale = coordinateScale ?? Float(input) / Float(output)
                src = max(scale * (Float(dst) + 0.5) - 0.5, 0)
            }
            let i0 = min(Int(src), input - 1)
            let i1 = i0 < input - 1 ? i0 + 1 : i0
            let l1 = src - Float(i0)
            return Tap(i0: i0, i1: i1, l0: 1 - l1, l1: l1)
        }
    }

    public static func forward(_ x: Tensor, height: Int, width: Int, alignCorners: Bool = false) -> Tensor {
        let (_, _, h, w) = x.nchw
        return apply(
            x, rows: taps(input: h, output: height, alignCorners: alignCorners),
            columns: taps(input: w, output: width, alignCorners: alignCorners))
    }

    /// F.interpolate(x, scale_factor: p, mode: "bilinear", align_corners: false),
    /// as DeepLab-v2's multi-scale input: output floor(h·p) × floor(w·p),
    /// source coordinates stepped by 1/p (so 321 × 0.75 → 240 reads with step
    /// 1.3333, not 321/240).
    public static func forward(_ x: Tensor, scaleFactor p: Double) -> Tensor {
        let (_, _, h, w) = x.nchw
        let step = Float(1 / p)
        return apply(
            x,
            rows: taps(
                input: h, output: Int((Double(h) * p).rounded(.down)), alignCorners: false, coordinateScale: step),
            columns: taps(
                input: w, output: Int((Double(w) * p).rounded(.down)), alignCorners: false, coordinateScale: step))
    }

    /// x [n, c, h, w] → [n, c, rows.count, columns.count] through the taps.
    static func apply(_ x: Tensor, rows ty: [Tap], columns tx: [Tap]) -> Tensor {
        let (n, c, h, w) = x.nchw
        let (height, width) = (ty.count, tx.count)
        var y = Tensor(uninitialized: [n, c, height, width])
        x.withUnsafeBufferPointer { src in
            y.withUnsafeMutableBufferPointer { dst in
                for p in 0..<(n * c) {
                    let plane = p * h * w
                    for oy in 0..<height {
                        let a = ty[oy]
                        let r0 = plane + a.i0 * w
                        let r1 = plane + a.i1 * w
                        let out = (p * height + oy) * width
                        for ox in 0..<width {
                            let b = tx[ox]
                            dst[out + ox] =
                                a.l0 * (b.l0 * src[r0 + b.i0] + b.l1 * src[r0 + b.i1])
                                + a.l1 * (b.l0 * src[r1 + b.i0] + b.l1 * src[r1 + b.i1])
                        }
                    }
                }
            }
        }
        return y
    }

    public static func backward(gradY: Tensor, inputShape: [Int], alignCorners: Bool = false) -> Tensor {
        let (h, w) = (inputShape[2], inputShape[3])
        let (n, c, height, width) = gradY.nchw
        let ty = taps(input: h, output: height, alignCorners: alignCorners)
        let tx = taps(input: w, output: width, alignCorners: alignCorners)
        var gx = Tensor(zeros: inputShape)
        gradY.withUnsafeBufferPointer { gy in
            gx.withUnsafeMutableBufferPointer { gxp in
                for p in 0..<(n * c) {
                    let plane = p * h * w
                    for oy in 0..<height {
                        let a = ty[oy]
                        for ox in 0..<width {
                            let b = tx[ox]
                            let g = gy[(p * height + oy) * width + ox]
                            gxp[plane + a.i0 * w + b.i0] += a.l0 * b.l0 * g
                            gxp[plane + a.i0 * w + b.i1] += a.l0 * b.l1 * g
                            gxp[plane + a.i1 * w + b.i0] += a.l1 * b.l0 * g
                            gxp[plane + a.i1 * w + b.i1] += a.l1 * b.l1 * g
                        }
                    }
                }
            }
        }
        return gx
    }
}
