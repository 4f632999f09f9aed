import CBLAS

/// DeepLab-v2's ASPP head (4 dilated 3×3 convolutions with bias, outputs
/// summed; `ASPPLayer` with `useReferenceKernel` runs them as four
/// `Conv2dLayer`s, the readable reference) as one well-shaped GEMM per image.
/// Through im2col each branch is a GEMM of only `classes` (21) rows over a
/// 9·2048-deep column matrix (~35 GFLOP/s on one core, plus the im2col
/// copies). Instead, with the 36 taps t = (branch, ky, kx) and their offsets
/// (dy, dx) = ((ky − 1)·rate, (kx − 1)·rate):
///   Z [36·C, h·w] = Wstack [36·C, cin] · x [cin, h·w]     (Wstack row t·C + co = W_branch[co, :, ky, kx])
///   y [co, p] = Σ_branch b[co] + Σ_t Z[t·C + co, p + (dy, dx)]   (taps outside the image read zero)
/// Backward: gZ [t·C + co, q] = gy[co, q − (dy, dx)] (zero where that is
/// outside), gWstack = gZ · xᵀ, gx = Wstackᵀ · gZ, gb = Σ_p gy. The same
/// multiply-adds as the four convolutions, in another order (float rounding).
/// Shapes: x [n, cin, h, w], every weight [C, cin, 3, 3], bias [C], y [n, C, h, w].
public enum ASPPFast {
    struct Tap {
        var dy: Int, dx: Int
    }

    static func taps(rates: [Int]) -> [Tap] {
        rates.flatMap { r in (0..<9).map { Tap(dy: ($0 / 3 - 1) * r, dx: ($0 % 3 - 1) * r) } }
    }

    /// Wstack [taps·C, cin] from the branches' [C, cin, 3, 3] weights.
    static func stack(
        _ weights: [UnsafePointer<Float>], classes: Int, cin: Int, into stacked: UnsafeMutablePointer<Float>
    ) {
        for (b, weight) in weights.enumerated() {
            for k in 0..<9 {
                for co in 0..<classes {
                    let row = stacked + ((b * 9 + k) * classes + co) * cin
                    let source = weight + co * cin * 9 + k
                    for c in 0..<cin { row[c] = source[c * 9] }
                }
            }
        }
    }

    /// Adds gWstack [taps·C, cin] into the branches' [C, cin, 3, 3] gradients.
    static func unstack(
        _ stacked: UnsafePointer<Float>, classes: Int, cin: Int, into grads: [UnsafeMutablePointer<Float>]
    ) {
        for (b, grad) in grads.enumerated() {
            for k in 0..<9 {
                for co in 0..<classes {
                    let row = stacked + ((b * 9 + k) * classes + co) * cin
                    let target = grad + co * cin * 9 + k
                    for c in 0..<cin { target[c * 9] += row[c] }
                }
            }
        }
    }

    /// The valid part of one tap: output rows oy in `rows`, columns ox in
    /// `columns` read input (oy + dy, ox + dx); empty when the tap is outside.
    static func overlap(_ t: Tap, h: Int, w: Int) -> (rows: Range<Int>, columns: Range<Int>) {
        let rows = max(0, -t.dy)..<max(max(0, -t.dy), min(h, h - t.dy))
        let columns = max(0, -t.dx)..<max(max(0, -t.dx), min(w, w - t.dx))
        return (rows, columns)
    }

    /// The workspace split: Wstack [rows, cin], then Z or gZ [rows, h·w].
    struct Layout {
        let taps: [Tap]
        let rows: Int, plane: Int
        let stacked: UnsafeMutablePointer<Float>, maps: UnsafeMutablePointer<Float>

        init(_ workspace: UnsafeMutablePointer<Float>, cin: Int, h: Int, w: Int, classes: Int, rates: [Int]) {
            taps = ASPPFast.taps(rates: rates)
            rows = taps.count * classes
            plane = h * w
            stacked = workspace
            maps = workspace + rows * cin
        }
    }

    /// Floats of workspace `forward` and `backward` need.
    public static func workspaceCount(n: Int, cin: Int, h: Int, w: Int, classes: Int, branches: Int) -> Int {
        let rows = branches * 9 * classes
        return rows * cin + rows * h * w
    }

    public static func forward(
        x: UnsafePointer<Float>, weights: [UnsafePointer<Float>], biases: [UnsafePointer<Float>],
        y: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>,
        n: Int, cin: Int, h: Int, w: Int, classes: Int, rates: [Int]
    ) {
        let layout = Layout(workspace, cin: cin, h: h, w: w, classes: classes, rates: rates)
        let (taps, rows, plane, stacked, z) = (layout.taps, layout.rows, layout.plane, layout.stacked, layout.maps)
        stack(weights, classes: classes, cin: cin, into: stacked)
        for image in 0..<n {
            Gemm.multiply(
                GemmProduct(
                    m: rows, n: plane, k: cin, a: stacked, lda: cin, b: x + image * cin * plane, ldb: plane, c: z,
                    ldc: plane))
            let yn = y + image * classes * plane
            Parallel.ranges(classes) { range in
                for co in range {
                    let out = yn + co * plane
                    let bias = biases.reduce(Float(0)) { $0 + $1[co] }
                    out.update(repeating: bias, count: plane)
                    for (t, tap) in taps.enumerated() {
                        let (valid, columns) = overlap(tap, h: h, w: w)
                        let source = z + (t * classes + co) * plane
                        for oy in valid {
                            let d = out + oy * w
                            let s = source + (oy + tap.dy) * w + tap.dx
                            for ox in columns { d[ox] += s[ox] }
                        }
                    }
                }
            }
        }
    }

    /// Accumulates into the weight and bias gradients; overwrites gradX when given.
    public static func backward(
        x: UnsafePointer<Float>, weights: [UnsafePointer<Float>], gradY: UnsafePointer<Float>,
        gradX: UnsafeMutablePointer<Float>?, gradWeights: [UnsafeMutablePointer<Float>],
        gradBiases: [UnsafeMutablePointer<Float>], workspace: UnsafeMutablePointer<Float>,
        n: Int, cin: Int, h: Int, w: Int, classes: Int, rates: [Int]
    ) {
        let layout = Layout(workspace, cin: cin, h: h, w: w, classes: classes, rates: rates)
        let (taps, rows, plane, stacked, gz) = (layout.taps, layout.rows, layout.plane, layout.stacked, layout.maps)
        if gradX != nil { stack(weights, classes: classes, cin: cin, into: stacked) }
        // gWstack accumulates over the images, then goes to the branches.
        var gradStacked = gradWeights.isEmpty ? nil : Tensor(zeros: [rows, cin])
        for image in 0..<n {
            let gyn = gradY + image * classes * plane
            let xn = x + image * cin * plane
            Parallel.ranges(rows) { range in
                for row in range {
                    let tap = taps[row / classes]
                    let target = gz + row * plane
                    target.update(repeating: 0, count: plane)
                    let (valid, columns) = overlap(tap, h: h, w: w)
                    let source = gyn + (row % classes) * plane
                    for oy in valid {
                        let d = target + (oy + tap.dy) * w + tap.dx
                        let s = source + oy * w
                        for ox in columns { d[ox] = s[ox] }
                    }
                }
            }
            for gb in gradBiases {
                for co in 0..<classes {
                    let row = gyn + co * plane
                    var s: Float = 0
                    for i in 0..<plane { s += row[i] }
                    gb[co] += s
                }
            }
            if gradStacked != nil {
                gradStacked!.withUnsafeMutableBufferPointer { gw in
                    // gWstack [rows, cin] += gZ [rows, plane] · xᵀ [plane, cin]
                    Gemm.multiply(
                        GemmProduct(
                            transB: true, m: rows, n: cin, k: plane, a: gz, lda: plane, b: xn, ldb: plane, beta: 1,
                            c: gw.baseAddress!, ldc: cin))
                }
            }
            if let gradX {
                // gx [cin, plane] = Wstackᵀ [cin, rows] · gZ [rows, plane]
                Gemm.multiply(
                    GemmProduct(
                        transA: true, m: cin, n: plane, k: rows, a: stacked, lda: cin, b: gz, ldb: plane,
                        c: gradX + image * cin * plane, ldc: plane))
            }
        }
        gradStacked?.withUnsafeBufferPointer { unstack($0.baseAddress!, classes: classes, cin: cin, into: gradWeights) }
    }
}
