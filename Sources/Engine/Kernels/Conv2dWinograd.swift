import CBLAS

/// 3×3 stride-1 convolutions (any dilation and padding) by Winograd
/// F(2×2, 3×3) (WinogradF23, WinogradTiling): 16 multiplications per 2×2
/// outputs and input channel instead of 36, i.e. 2.25× fewer than im2col +
/// sgemm. Shapes as Conv2dFast: x [n, cin, h, w], weight [cout, cin, 3, 3],
/// y [n, cout, hout, wout].
///
/// Each pass is transform → 16 GEMMs (one per transformed position ξ) →
/// transform, over chunks of tiles:
/// - forward:      U_ξ [cout, cin] (kernels) · V_ξ [cin, tiles] (input) → M_ξ [cout, tiles] → y;
/// - input grad:   the forward of gY with the flipped, transposed kernel. Its
///                 transform is U with positions 0 ↔ 3 swapped on both axes
///                 (G·J = P·G, J the reversal), so U_P(ξ)ᵀ · V_ξ(gY) → gX;
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
    public static func scratchCount(_ g: ConvGeometry) -> Int {
        let channels = g.cin + g.cout
        let forward = WinogradTiling(n: g.n, outH: g.hout, outW: g.wout, dilation: g.dilation)
        let backward = WinogradTiling(n: g.n, outH: g.h, outW: g.w, dilation: g.dilation)
        let tiles = max(forward.chunk(channels: channels), backward.chunk(channels: channels))
        return 16
            * (WinogradTiling.positionStride(g.cout * g.cin) + WinogradTiling.positionStride(g.cin * tiles)
                + WinogradTiling.positionStride(g.cout * tiles))
    }

    public static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, _ g: ConvGeometry
    ) {
        precondition(supports(g), "Winograd F(2×2, 3×3) needs a dense 3×3 stride-1 convolution")
        let kernels = scratch
        transformKernels(weight, cout: g.cout, cin: g.cin, into: kernels)
        let plane = WinogradPlane(
            tiling: WinogradTiling(n: g.n, outH: g.hout, outW: g.wout, dilation: g.dilation),
            inChannels: g.cin, inH: g.h, inW: g.w, outChannels: g.cout, padTop: g.pad, padLeft: g.pad)
        plane.convolve(
            x, kernels: kernels, transposedKernels: false, bias: bias, into: y,
            buffers: scratch + 16 * WinogradTiling.positionStride(g.cout * g.cin))
    }

    /// Conv2dFast.backward's contract: accumulates into gradWeight/gradBias,
    /// overwrites gradX when given.
    public static func backward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, gradY: UnsafePointer<Float>,
        gradX: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?,
        gradBias: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>, _ g: ConvGeometry
    ) {
        if let gradWeight { backwardWeight(x: x, gradY: gradY, gradWeight: gradWeight, scratch: scratch, g) }
        if let gradBias {
            let plane = g.hout * g.wout
            for n in 0..<g.n {
                Conv2dFast.addBiasGradient(gradY + n * g.cout * plane, channels: g.cout, plane: plane, into: gradBias)
            }
        }
        if let gradX { backwardData(weight: weight, gradY: gradY, gradX: gradX, scratch: scratch, g) }
    }

    /// Overwrites gradX with the input gradient.
    public static func backwardData(
        weight: UnsafePointer<Float>, gradY: UnsafePointer<Float>, gradX: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, _ g: ConvGeometry
    ) {
        precondition(supports(g), "Winograd F(2×2, 3×3) needs a dense 3×3 stride-1 convolution")
        let kernels = scratch
        transformKernels(weight, cout: g.cout, cin: g.cin, into: kernels)
        let plane = WinogradPlane(
            tiling: WinogradTiling(n: g.n, outH: g.h, outW: g.w, dilation: g.dilation),
            inChannels: g.cout, inH: g.hout, inW: g.wout, outChannels: g.cin,
            padTop: 2 * g.dilation - g.pad, padLeft: 2 * g.dilation - g.pad)
        plane.convolve(
            gradY, kernels: kernels, transposedKernels: true, bias: nil, into: gradX,
            buffers: scratch + 16 * WinogradTiling.positionStride(g.cout * g.cin))
    }

    /// Adds the weight gradient to gradWeight [cout, cin, 3, 3].
    public static func backwardWeight(
        x: UnsafePointer<Float>, gradY: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, _ g: ConvGeometry
    ) {
        precondition(supports(g), "Winograd F(2×2, 3×3) needs a dense 3×3 stride-1 convolution")
        let sums = scratch  // W_ξ [cout, cin]
        let plane = WinogradPlane(
            tiling: WinogradTiling(n: g.n, outH: g.hout, outW: g.wout, dilation: g.dilation),
            inChannels: g.cin, inH: g.h, inW: g.w, outChannels: g.cout, padTop: g.pad, padLeft: g.pad)
        let position = WinogradTiling.positionStride(g.cout * g.cin)
        plane.correlate(x, gradY, into: sums, buffers: scratch + 16 * position)
        Parallel.ranges(g.cout * g.cin, minimum: 4096) { kernels in
            for at in kernels {
                WinogradF23.kernelAdjoint(
                    WinogradTile(gathering: sums + at, stride: position), addingTo: gradWeight + at * 9)
            }
        }
    }

    /// U_ξ [cout, cin] = (G g Gᵀ)[ξ] of every kernel, matrix ξ at ξ·positionStride(cout·cin).
    static func transformKernels(
        _ weight: UnsafePointer<Float>, cout: Int, cin: Int, into u: UnsafeMutablePointer<Float>
    ) {
        let position = WinogradTiling.positionStride(cout * cin)
        Parallel.ranges(cout * cin, minimum: 4096) { kernels in
            for at in kernels {
                WinogradF23.kernelTransform(weight + at * 9).scatter(to: u + at, stride: position)
            }
        }
    }
}

/// One Winograd convolution as the transforms see it: an input of
/// `inChannels` planes inH × inW per image, an output tiled by `tiling`, and
/// output (oy, ox) reading input (oy − padTop + d·ky, ox − padLeft + d·kx).
/// Transformed buffers hold 16 matrices, ξ at ξ·positionStride(rows·columns).
struct WinogradPlane {
    let tiling: WinogradTiling
    let inChannels, inH, inW, outChannels, padTop, padLeft: Int

    /// Position ξ of the flipped kernel's transform: rows and columns 0 ↔ 3.
    static let flipped: [Int] = (0..<16).map { xi in
        let swap = [3, 1, 2, 0]
        return swap[xi / 4] * 4 + swap[xi % 4]
    }

    /// Tiles per chunk and the strides between the 16 matrices of the input
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
    /// or, transposed, the forward's U [inChannels, outChannels] whose flipped
    /// positions are read. `buffers` holds V and M of one chunk.
    func convolve(
        _ input: UnsafePointer<Float>, kernels: UnsafePointer<Float>, transposedKernels: Bool,
        bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>, buffers: UnsafeMutablePointer<Float>
    ) {
        let (chunk, vStride, mStride, uStride) = layout
        let v = buffers
        let m = buffers + 16 * vStride
        forEachChunk(chunk) { tiles in
            transformInput(input, tiles: tiles, into: v, ld: chunk, position: vStride)
            Gemm.multiplyAll(count: 16) { xi in
                let (vx, mx) = (v + xi * vStride, m + xi * mStride)
                // M_ξ [out, tiles] = U_ξ [out, in] · V_ξ [in, tiles]; transposed: U_P(ξ)ᵀ with U stored [in, out].
                return transposedKernels
                    ? GemmProduct(
                        transA: true, m: outChannels, n: tiles.count, k: inChannels,
                        a: kernels + Self.flipped[xi] * uStride, lda: outChannels, b: vx, ldb: chunk, c: mx,
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
        let gy = buffers + 16 * vStride
        forEachChunk(chunk) { tiles in
            transformInput(input, tiles: tiles, into: v, ld: chunk, position: vStride)
            transformOutputGradient(gradOutput, tiles: tiles, into: gy, ld: chunk, position: gStride)
            // W_ξ [out, in] (+)= Gy_ξ [out, tiles] · V_ξ [in, tiles]ᵀ
            Gemm.multiplyAll(count: 16) { xi in
                GemmProduct(
                    transB: true, m: outChannels, n: inChannels, k: tiles.count, a: gy + xi * gStride, lda: chunk,
                    b: v + xi * vStride, ldb: chunk, beta: tiles.lowerBound == 0 ? 0 : 1, c: sums + xi * sStride,
                    ldc: inChannels)
            }
        }
    }

    /// V_ξ [inChannels, ld]: Bᵀ d B of each tile's 4×4 input (zeros outside the plane).
    private func transformInput(
        _ input: UnsafePointer<Float>, tiles: Range<Int>, into v: UnsafeMutablePointer<Float>, ld: Int,
        position: Int
    ) {
        let d = tiling.dilation
        let (channels, h, w) = (inChannels, inH, inW)
        let (top, left) = (padTop, padLeft)
        Parallel.ranges(channels, minimum: max(1, 4096 / max(tiles.count, 1))) { range in
            for c in range {
                let row = v + c * ld
                tiling.forEach(tiles) { k, image, oy, ox in
                    let src = input + (image * channels + c) * h * w
                    let (iy, ix) = (oy - top, ox - left)
                    var tile = WinogradTile()
                    if iy >= 0 && iy + 3 * d < h && ix >= 0 && ix + 3 * d < w {
                        let p = src + iy * w + ix
                        let q = p + d * w
                        let r = q + d * w
                        let s = r + d * w
                        tile = WinogradTile(
                            p[0], p[d], p[2 * d], p[3 * d], q[0], q[d], q[2 * d], q[3 * d],
                            r[0], r[d], r[2 * d], r[3 * d], s[0], s[d], s[2 * d], s[3 * d])
                    } else {
                        for a in 0..<4 {
                            let y = iy + a * d
                            guard y >= 0 && y < h else { continue }
                            for b in 0..<4 {
                                let x = ix + b * d
                                if x >= 0 && x < w { tile[4 * a + b] = src[y * w + x] }
                            }
                        }
                    }
                    WinogradF23.inputTransform(tile).scatter(to: row + k, stride: position)
                }
            }
        }
    }

    /// Gy_ξ [outChannels, ld]: A gY Aᵀ of each tile's 2×2 output gradients (zeros outside).
    private func transformOutputGradient(
        _ gradOutput: UnsafePointer<Float>, tiles: Range<Int>, into gy: UnsafeMutablePointer<Float>, ld: Int,
        position: Int
    ) {
        let d = tiling.dilation
        let (channels, h, w) = (outChannels, tiling.outH, tiling.outW)
        Parallel.ranges(channels, minimum: max(1, 4096 / max(tiles.count, 1))) { range in
            for c in range {
                let row = gy + c * ld
                tiling.forEach(tiles) { k, image, oy, ox in
                    let src = gradOutput + (image * channels + c) * h * w + oy * w + ox
                    let lower = oy + d < h
                    let right = ox + d < w
                    let y00 = src[0]
                    let y01 = right ? src[d] : 0
                    let y10 = lower ? src[d * w] : 0
                    let y11 = lower && right ? src[d * w + d] : 0
                    WinogradF23.outputAdjoint(y00, y01, y10, y11).scatter(to: row + k, stride: position)
                }
            }
        }
    }

    /// Aᵀ M A of each tile into the output plane (+ bias), dropping positions beyond it.
    private func transformOutput(
        _ m: UnsafePointer<Float>, tiles: Range<Int>, ld: Int, position: Int, bias: UnsafePointer<Float>?,
        into output: UnsafeMutablePointer<Float>
    ) {
        let d = tiling.dilation
        let (channels, h, w) = (outChannels, tiling.outH, tiling.outW)
        Parallel.ranges(channels, minimum: max(1, 4096 / max(tiles.count, 1))) { range in
            for c in range {
                let b = bias?[c] ?? 0
                let row = m + c * ld
                tiling.forEach(tiles) { k, image, oy, ox in
                    let (y00, y01, y10, y11) = WinogradF23.outputTransform(
                        WinogradTile(gathering: row + k, stride: position))
                    let dst = output + (image * channels + c) * h * w + oy * w + ox
                    let lower = oy + d < h
                    let right = ox + d < w
                    dst[0] = y00 + b
                    if right { dst[d] = y01 + b }
                    if lower { dst[d * w] = y10 + b }
                    if lower && right { dst[d * w + d] = y11 + b }
                }
            }
        }
    }
}
