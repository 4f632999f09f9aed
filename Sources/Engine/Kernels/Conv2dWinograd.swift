import CBLAS

/// Which Winograd minimal filtering runs a 3×3 convolution: F(2×2, 3×3)
/// (16 multiplications per 2×2 outputs and input channel, 2.25× fewer than
/// im2col) or F(4×4, 3×3) (36 per 4×4, 4× fewer, with larger transforms and
/// more rounding).
public enum WinogradVariant: String, Sendable, CaseIterable {
    case f2x2 = "F(2x2,3x3)"
    case f4x4 = "F(4x4,3x3)"

    /// m: outputs per tile side.
    public var tileOutputs: Int { self == .f2x2 ? 2 : 4 }
    /// (m + 2)²: transformed positions, one GEMM each.
    public var positions: Int { (tileOutputs + 2) * (tileOutputs + 2) }
}

/// 3×3 stride-1 convolutions (any dilation and padding) by Winograd
/// F(m×m, 3×3) (WinogradTransform, WinogradTiling). Shapes as Conv2dFast:
/// x [n, cin, h, w], weight [cout, cin, 3, 3], y [n, cout, hout, wout].
///
/// Each pass is transform → one GEMM per transformed position ξ → transform,
/// over chunks of tiles:
/// - forward:      U_ξ [cout, cin] (kernels) · V_ξ [cin, tiles] (input) → M_ξ [cout, tiles] → y;
/// - input grad:   the forward of gY with the flipped, transposed kernel:
///                 U'_ξ [cout, cin] of the flipped kernels, U'_ξᵀ · V_ξ(gY) → gX;
/// - weight grad:  W_ξ [cout, cin] += Gy_ξ [cout, tiles] · V_ξ(x)ᵀ, then gW += Gᵀ W G.
///
/// The scratch holds U (or W), one chunk of V and one chunk of M.
public enum Conv2dWinograd {
    /// Budget of the two transformed chunk buffers, in floats (64 MB).
    public static let defaultChunkFloats = 1 << 24
    /// Tests lower it to run several chunks on small shapes.
    nonisolated(unsafe) public static var chunkFloats = defaultChunkFloats

    /// 3×3, stride 1, dense: what this kernel computes.
    public static func supports(_ g: ConvGeometry) -> Bool {
        g.kh == 3 && g.kw == 3 && g.stride == 1 && g.groups == 1
    }

    /// Floats of scratch for any of the three passes of geometry g.
    public static func scratchCount(_ g: ConvGeometry, _ variant: WinogradVariant) -> Int {
        let (m, positions) = (variant.tileOutputs, variant.positions)
        let channels = g.cin + g.cout
        let forward = WinogradTiling(n: g.n, outH: g.hout, outW: g.wout, dilation: g.dilation, tileOutputs: m)
        let backward = WinogradTiling(n: g.n, outH: g.h, outW: g.w, dilation: g.dilation, tileOutputs: m)
        let tiles = max(forward.chunk(channels: channels), backward.chunk(channels: channels))
        return positions
            * (WinogradTiling.positionStride(g.cout * g.cin) + WinogradTiling.positionStride(g.cin * tiles)
                + WinogradTiling.positionStride(g.cout * tiles))
    }

    public static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
        _ variant: WinogradVariant
    ) {
        switch variant {
        case .f2x2: Pass<WinogradF23>.forward(x: x, weight: weight, bias: bias, y: y, scratch: scratch, g)
        case .f4x4: Pass<WinogradF43>.forward(x: x, weight: weight, bias: bias, y: y, scratch: scratch, g)
        }
    }

    /// Conv2dFast.backward's contract: accumulates into gradWeight/gradBias,
    /// overwrites gradX when given.
    public static func backward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, gradY: UnsafePointer<Float>,
        gradX: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?,
        gradBias: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
        _ variant: WinogradVariant
    ) {
        if let gradWeight {
            switch variant {
            case .f2x2:
                Pass<WinogradF23>.backwardWeight(x: x, gradY: gradY, gradWeight: gradWeight, scratch: scratch, g)
            case .f4x4:
                Pass<WinogradF43>.backwardWeight(x: x, gradY: gradY, gradWeight: gradWeight, scratch: scratch, g)
            }
        }
        if let gradBias {
            let plane = g.hout * g.wout
            for n in 0..<g.n {
                Conv2dFast.addBiasGradient(gradY + n * g.cout * plane, channels: g.cout, plane: plane, into: gradBias)
            }
        }
        if let gradX {
            switch variant {
            case .f2x2: Pass<WinogradF23>.backwardData(weight: weight, gradY: gradY, gradX: gradX, scratch: scratch, g)
            case .f4x4: Pass<WinogradF43>.backwardData(weight: weight, gradY: gradY, gradX: gradX, scratch: scratch, g)
            }
        }
    }

    /// The three passes of one variant T.
    enum Pass<T: WinogradTransform> {
        static func plane(_ g: ConvGeometry, inputGradient: Bool) -> WinogradPlane<T> {
            !inputGradient
                ? WinogradPlane(
                    tiling: WinogradTiling(
                        n: g.n, outH: g.hout, outW: g.wout, dilation: g.dilation, tileOutputs: T.outputs),
                    inChannels: g.cin, inH: g.h, inW: g.w, outChannels: g.cout, padTop: g.pad, padLeft: g.pad)
                // The input gradient: gY padded by 2d − pad, convolved to the input's size.
                : WinogradPlane(
                    tiling: WinogradTiling(n: g.n, outH: g.h, outW: g.w, dilation: g.dilation, tileOutputs: T.outputs),
                    inChannels: g.cout, inH: g.hout, inW: g.wout, outChannels: g.cin,
                    padTop: 2 * g.dilation - g.pad, padLeft: 2 * g.dilation - g.pad)
        }

        static func forward(
            x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
            y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, _ g: ConvGeometry
        ) {
            convolve(x, weight: weight, bias: bias, into: y, scratch: scratch, g, inputGradient: false)
        }

        /// Overwrites gradX with the input gradient.
        static func backwardData(
            weight: UnsafePointer<Float>, gradY: UnsafePointer<Float>, gradX: UnsafeMutablePointer<Float>,
            scratch: UnsafeMutablePointer<Float>, _ g: ConvGeometry
        ) {
            convolve(gradY, weight: weight, bias: nil, into: gradX, scratch: scratch, g, inputGradient: true)
        }

        /// The forward (x → y), or the input gradient (gY → gX: the flipped
        /// kernels, transposed).
        static func convolve(
            _ input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
            into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
            inputGradient: Bool
        ) {
            precondition(supports(g), "Winograd needs a dense 3×3 stride-1 convolution")
            transformKernels(weight, cout: g.cout, cin: g.cin, flipped: inputGradient, into: scratch)
            plane(g, inputGradient: inputGradient).convolve(
                input, kernels: scratch, transposedKernels: inputGradient, bias: bias, into: output,
                buffers: scratch + T.positions * WinogradTiling.positionStride(g.cout * g.cin))
        }

        /// Adds the weight gradient to gradWeight [cout, cin, 3, 3].
        static func backwardWeight(
            x: UnsafePointer<Float>, gradY: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>,
            scratch: UnsafeMutablePointer<Float>, _ g: ConvGeometry
        ) {
            precondition(supports(g), "Winograd needs a dense 3×3 stride-1 convolution")
            let sums = scratch  // W_ξ [cout, cin]
            let position = WinogradTiling.positionStride(g.cout * g.cin)
            plane(g, inputGradient: false).correlate(x, gradY, into: sums, buffers: scratch + T.positions * position)
            forEachKernelBlock(g.cout * g.cin) { at, lanes in
                let out = gradWeight + at * 9
                if lanes == 16 {
                    T.kernelAdjoint({ SIMD16<Float>(loading: sums + $0 * position + at) }) { e, v in
                        for j in 0..<16 { out[9 * j + e] += v[j] }
                    }
                } else {
                    T.kernelAdjoint({ sums[$0 * position + at] }) { out[$0] += $1 }
                }
            }
        }

        /// U_ξ [cout, cin] = (G g Gᵀ)[ξ] of every kernel (rotated by 180° when
        /// `flipped`), matrix ξ at ξ·positionStride(cout·cin).
        static func transformKernels(
            _ weight: UnsafePointer<Float>, cout: Int, cin: Int, flipped: Bool, into u: UnsafeMutablePointer<Float>
        ) {
            let position = WinogradTiling.positionStride(cout * cin)
            forEachKernelBlock(cout * cin) { at, lanes in
                let w = weight + at * 9
                if lanes == 16 {
                    T.kernelTransform({ e in
                        SIMD16<Float>(gathering: w + (flipped ? 8 - e : e), stride: 9)
                    }) { xi, v in v.store(to: u + xi * position + at) }
                } else {
                    T.kernelTransform({ w[flipped ? 8 - $0 : $0] }) { u[$0 * position + at] = $1 }
                }
            }
        }

        /// body(first kernel, 16) over blocks of 16 consecutive kernels, then
        /// body(k, 1) for each kernel left over; blocks spread over the threads.
        static func forEachKernelBlock(_ count: Int, _ body: (Int, Int) -> Void) {
            Parallel.ranges(count / 16, minimum: 256) { blocks in
                for block in blocks { body(16 * block, 16) }
            }
            for k in (count / 16 * 16)..<count { body(k, 1) }
        }
    }
}

/// One Winograd convolution as the transforms see it: an input of
/// `inChannels` planes inH × inW per image, an output tiled by `tiling`, and
/// output (oy, ox) reading input (oy − padTop + d·ky, ox − padLeft + d·kx).
/// Transformed buffers hold T.positions matrices, ξ at ξ·positionStride(rows·columns).
struct WinogradPlane<T: WinogradTransform> {
    let tiling: WinogradTiling
    let inChannels, inH, inW, outChannels, padTop, padLeft: Int

    /// Tiles per chunk and the strides between the matrices of the input
    /// side's buffer (V), the output side's (M, or Gy) and the kernels' (U, or W).
    private var layout: (chunk: Int, input: Int, output: Int, kernels: Int) {
        let chunk = tiling.chunk(channels: inChannels + outChannels)
        return (
            chunk, WinogradTiling.positionStride(inChannels * chunk),
            WinogradTiling.positionStride(outChannels * chunk),
            WinogradTiling.positionStride(inChannels * outChannels)
        )
    }

    /// Calls body with consecutive ranges of at most `chunk` tiles, in order.
    private func forEachChunk(_ chunk: Int, _ body: (Range<Int>) -> Void) {
        var first = 0
        while first < tiling.count {
            let tiles = first..<min(first + chunk, tiling.count)
            body(tiles)
            first = tiles.upperBound
        }
    }

    /// output = conv(input, kernels); `kernels` is U_ξ [outChannels, inChannels]
    /// or, transposed, U_ξ [inChannels, outChannels] (the input gradient's
    /// flipped kernels, stored as the forward's). `buffers` holds V and M of one chunk.
    func convolve(
        _ input: UnsafePointer<Float>, kernels: UnsafePointer<Float>, transposedKernels: Bool,
        bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>, buffers: UnsafeMutablePointer<Float>
    ) {
        let (chunk, vStride, mStride, uStride) = layout
        let v = buffers
        let m = buffers + T.positions * vStride
        forEachChunk(chunk) { tiles in
            transformInput(input, tiles: tiles, into: v, ld: chunk, position: vStride)
            Gemm.multiplyAll(count: T.positions) { xi in
                let (vx, mx) = (v + xi * vStride, m + xi * mStride)
                // M_ξ [out, tiles] = U_ξ [out, in] · V_ξ [in, tiles]; transposed: U_ξᵀ with U stored [in, out].
                return transposedKernels
                    ? GemmProduct(
                        transA: true, m: outChannels, n: tiles.count, k: inChannels,
                        a: kernels + xi * uStride, lda: outChannels, b: vx, ldb: chunk, c: mx,
                        ldc: chunk)
                    : GemmProduct(
                        m: outChannels, n: tiles.count, k: inChannels, a: kernels + xi * uStride, lda: inChannels,
                        b: vx, ldb: chunk, c: mx, ldc: chunk)
            }
            transformOutput(m, tiles: tiles, ld: chunk, position: mStride, bias: bias, into: output)
        }
    }

    /// sums_ξ [outChannels, inChannels] = Σ_tiles (A gY Aᵀ)_ξ · (Bᵀ x B)_ξ: the
    /// weight gradient in the transformed domain (gradY tiled like the output).
    func correlate(
        _ input: UnsafePointer<Float>, _ gradOutput: UnsafePointer<Float>, into sums: UnsafeMutablePointer<Float>,
        buffers: UnsafeMutablePointer<Float>
    ) {
        let (chunk, vStride, gStride, sStride) = layout
        let v = buffers
        let gy = buffers + T.positions * vStride
        forEachChunk(chunk) { tiles in
            transformInput(input, tiles: tiles, into: v, ld: chunk, position: vStride)
            transformOutputGradient(gradOutput, tiles: tiles, into: gy, ld: chunk, position: gStride)
            // W_ξ [out, in] (+)= Gy_ξ [out, tiles] · V_ξ [in, tiles]ᵀ
            Gemm.multiplyAll(count: T.positions) { xi in
                GemmProduct(
                    transB: true, m: outChannels, n: inChannels, k: tiles.count, a: gy + xi * gStride, lda: chunk,
                    b: v + xi * vStride, ldb: chunk, beta: tiles.lowerBound == 0 ? 0 : 1, c: sums + xi * sStride,
                    ldc: inChannels)
            }
        }
    }

    /// V_ξ [inChannels, ld]: Bᵀ d B of each tile's α×α input (zeros outside the plane).
    private func transformInput(
        _ input: UnsafePointer<Float>, tiles: Range<Int>, into v: UnsafeMutablePointer<Float>, ld: Int,
        position: Int
    ) {
        let d = tiling.dilation
        let span = T.span
        let (channels, h, w) = (inChannels, inH, inW)
        let (top, left) = (padTop, padLeft)
        let reach = (span - 1) * d
        Parallel.ranges(channels, minimum: max(1, 4096 / max(tiles.count, 1))) { range in
            for c in range {
                let row = v + c * ld
                tiling.forEach(tiles) { k, image, oy, ox in
                    let src = input + (image * channels + c) * h * w
                    let (iy, ix) = (oy - top, ox - left)
                    var tile = T.Tile()
                    tile.withMutableValues { t in
                        if iy >= 0 && iy + reach < h && ix >= 0 && ix + reach < w {
                            let p = src + iy * w + ix
                            for a in 0..<span {
                                let line = p + a * d * w
                                for b in 0..<span { t[span * a + b] = line[b * d] }
                            }
                        } else {
                            // Most tiles of a dilated layer cross the border: no branch per value.
                            let rows = Self.inside(iy, step: d, count: span, extent: h)
                            let columns = Self.inside(ix, step: d, count: span, extent: w)
                            for a in rows {
                                let line = src + (iy + a * d) * w + ix
                                for b in columns { t[span * a + b] = line[b * d] }
                            }
                        }
                    }
                    T.inputTransform(tile).scatter(to: row + k, stride: position)
                }
            }
        }
    }

    /// The j in 0..<count with 0 ≤ first + j·step < extent.
    @inline(__always)
    static func inside(_ first: Int, step: Int, count: Int, extent: Int) -> Range<Int> {
        let lower = first >= 0 ? 0 : (step - 1 - first) / step
        let upper = first < extent ? min(count, (extent - 1 - first) / step + 1) : 0
        return lower..<max(lower, upper)
    }

    /// Gy_ξ [outChannels, ld]: A gY Aᵀ of each tile's m×m output gradients (zeros outside).
    private func transformOutputGradient(
        _ gradOutput: UnsafePointer<Float>, tiles: Range<Int>, into gy: UnsafeMutablePointer<Float>, ld: Int,
        position: Int
    ) {
        let d = tiling.dilation
        let m = T.outputs
        let (channels, h, w) = (outChannels, tiling.outH, tiling.outW)
        Parallel.ranges(channels, minimum: max(1, 4096 / max(tiles.count, 1))) { range in
            for c in range {
                let row = gy + c * ld
                tiling.forEach(tiles) { k, image, oy, ox in
                    let src = gradOutput + (image * channels + c) * h * w + oy * w + ox
                    var values = T.Tile()
                    values.withMutableValues { t in
                        for a in 0..<m where oy + a * d < h {
                            for b in 0..<m where ox + b * d < w { t[m * a + b] = src[a * d * w + b * d] }
                        }
                    }
                    T.outputAdjoint(values).scatter(to: row + k, stride: position)
                }
            }
        }
    }

    /// Aᵀ M A of each tile into the output plane (+ bias), dropping positions beyond it.
    private func transformOutput(
        _ products: UnsafePointer<Float>, tiles: Range<Int>, ld: Int, position: Int, bias: UnsafePointer<Float>?,
        into output: UnsafeMutablePointer<Float>
    ) {
        let d = tiling.dilation
        let m = T.outputs
        let (channels, h, w) = (outChannels, tiling.outH, tiling.outW)
        Parallel.ranges(channels, minimum: max(1, 4096 / max(tiles.count, 1))) { range in
            for c in range {
                let b = bias?[c] ?? 0
                let row = products + c * ld
                tiling.forEach(tiles) { k, image, oy, ox in
                    let dst = output + (image * channels + c) * h * w + oy * w + ox
                    T.outputTransform(T.Tile(gathering: row + k, stride: position)).withValues { y in
                        if oy + (m - 1) * d < h && ox + (m - 1) * d < w {
                            for a in 0..<m {
                                for x in 0..<m { dst[a * d * w + x * d] = y[m * a + x] + b }
                            }
                        } else {
                            for a in 0..<m where oy + a * d < h {
                                for x in 0..<m where ox + x * d < w { dst[a * d * w + x * d] = y[m * a + x] + b }
                            }
                        }
                    }
                }
            }
        }
    }
}
