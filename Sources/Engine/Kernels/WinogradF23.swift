/// Winograd minimal filtering F(2×2, 3×3) (Lavin & Gray 2016): a 2×2 block of
/// a 3×3 convolution's outputs from a 4×4 input tile with 16 multiplications
/// instead of 36,
///
///     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
///
///     Bᵀ = | 1  0 −1  0 |    G = | 1    0    0  |    Aᵀ = | 1  1  1  0 |
///          | 0  1  1  0 |        | ½    ½    ½  |         | 0  1 −1 −1 |
///          | 0 −1  1  0 |        | ½   −½    ½  |
///          | 0  1  0 −1 |        | 0    0    1  |
///
/// d is the 4×4 input tile, g the 3×3 kernel, Y the 2×2 outputs. The
/// transformed domain has 16 positions ξ = 4·row + column; summing
/// (G g Gᵀ)[ξ]·(Bᵀ d B)[ξ] over input channels is one GEMM per position
/// (Conv2dWinograd). The weight gradient is the adjoint of the same bilinear
/// form: gW = Gᵀ [ Σ_tiles (A gY Aᵀ) ⊙ (Bᵀ d B) ] G.
///
/// Each function maps one tile (row-major 4×4 in a `WinogradTile`).
public enum WinogradF23 {
    /// Bᵀ d B: a 4×4 input tile (row-major) → 16 values.
    @inline(__always)
    public static func inputTransform(_ d: WinogradTile) -> WinogradTile {
        // t = Bᵀ d column by column, then v = t B row by row.
        var t = WinogradTile()
        for c in 0..<4 {
            let d0 = d[c]
            let d1 = d[4 + c]
            let d2 = d[8 + c]
            let d3 = d[12 + c]
            t[c] = d0 - d2
            t[4 + c] = d1 + d2
            t[8 + c] = d2 - d1
            t[12 + c] = d1 - d3
        }
        var v = WinogradTile()
        for r in 0..<4 {
            let t0 = t[4 * r]
            let t1 = t[4 * r + 1]
            let t2 = t[4 * r + 2]
            let t3 = t[4 * r + 3]
            v[4 * r] = t0 - t2
            v[4 * r + 1] = t1 + t2
            v[4 * r + 2] = t2 - t1
            v[4 * r + 3] = t1 - t3
        }
        return v
    }

    /// G g Gᵀ: the 3×3 kernel at `g` (row-major, contiguous) → 16 values.
    @inline(__always)
    public static func kernelTransform(_ g: UnsafePointer<Float>) -> WinogradTile {
        // t = G g (4×3, kept with row stride 4), then u = t Gᵀ row by row.
        var t = WinogradTile()
        for c in 0..<3 {
            let g0 = g[c]
            let g1 = g[3 + c]
            let g2 = g[6 + c]
            t[c] = g0
            t[4 + c] = 0.5 * (g0 + g1 + g2)
            t[8 + c] = 0.5 * (g0 - g1 + g2)
            t[12 + c] = g2
        }
        var u = WinogradTile()
        for r in 0..<4 {
            let a0 = t[4 * r]
            let a1 = t[4 * r + 1]
            let a2 = t[4 * r + 2]
            u[4 * r] = a0
            u[4 * r + 1] = 0.5 * (a0 + a1 + a2)
            u[4 * r + 2] = 0.5 * (a0 - a1 + a2)
            u[4 * r + 3] = a2
        }
        return u
    }

    /// Aᵀ m A: 16 transformed products → the 2×2 outputs (y00, y01, y10, y11).
    @inline(__always)
    public static func outputTransform(_ m: WinogradTile) -> (Float, Float, Float, Float) {
        // t = Aᵀ m (2×4), then y = t A.
        let a0 = m[0] + m[4] + m[8]
        let a1 = m[1] + m[5] + m[9]
        let a2 = m[2] + m[6] + m[10]
        let a3 = m[3] + m[7] + m[11]
        let b0 = m[4] - m[8] - m[12]
        let b1 = m[5] - m[9] - m[13]
        let b2 = m[6] - m[10] - m[14]
        let b3 = m[7] - m[11] - m[15]
        return (a0 + a1 + a2, a1 - a2 - a3, b0 + b1 + b2, b1 - b2 - b3)
    }

    /// A gY Aᵀ, the adjoint of `outputTransform`: the 2×2 output gradients → 16 values.
    @inline(__always)
    public static func outputAdjoint(_ y00: Float, _ y01: Float, _ y10: Float, _ y11: Float) -> WinogradTile {
        // A is 4×2 with rows (1, 0), (1, 1), (1, −1), (0, −1): t = A gY, then m = t Aᵀ.
        var m = WinogradTile()
        @inline(__always) func row(_ r: Int, _ a: Float, _ b: Float) {
            m[4 * r] = a
            m[4 * r + 1] = a + b
            m[4 * r + 2] = a - b
            m[4 * r + 3] = -b
        }
        row(0, y00, y01)
        row(1, y00 + y10, y01 + y11)
        row(2, y00 - y10, y01 - y11)
        row(3, -y10, -y11)
        return m
    }

    /// Gᵀ w G, the adjoint of `kernelTransform`: 16 values → a 3×3 kernel
    /// gradient, added to `g` (row-major, contiguous).
    @inline(__always)
    public static func kernelAdjoint(_ w: WinogradTile, addingTo g: UnsafeMutablePointer<Float>) {
        // t = Gᵀ w: 3×4; Gᵀ has rows (1, ½, ½, 0), (0, ½, −½, 0), (0, ½, ½, 1).
        var t = WinogradTile()
        for c in 0..<4 {
            let w0 = w[c]
            let w1 = w[4 + c]
            let w2 = w[8 + c]
            let w3 = w[12 + c]
            t[c] = w0 + 0.5 * (w1 + w2)
            t[4 + c] = 0.5 * (w1 - w2)
            t[8 + c] = 0.5 * (w1 + w2) + w3
        }
        for r in 0..<3 {
            let t0 = t[4 * r]
            let t1 = t[4 * r + 1]
            let t2 = t[4 * r + 2]
            let t3 = t[4 * r + 3]
            g[3 * r] += t0 + 0.5 * (t1 + t2)
            g[3 * r + 1] += 0.5 * (t1 - t2)
            g[3 * r + 2] += 0.5 * (t1 + t2) + t3
        }
    }
}

/// 16 floats on the stack: one tile in the transformed domain (4×4, row-major).
public struct WinogradTile {
    private var storage:
        (Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    public init() {}

    /// A tile from its 16 values, row by row.
    @inline(__always)
    public init(
        _ v0: Float, _ v1: Float, _ v2: Float, _ v3: Float, _ v4: Float, _ v5: Float, _ v6: Float, _ v7: Float,
        _ v8: Float, _ v9: Float, _ v10: Float, _ v11: Float, _ v12: Float, _ v13: Float, _ v14: Float, _ v15: Float
    ) {
        storage = (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15)
    }

    /// The 16 values p[0], p[stride], …, p[15·stride] (one per transformed position).
    @inline(__always)
    public init(gathering p: UnsafePointer<Float>, stride: Int) {
        storage = (
            p[0], p[stride], p[2 &* stride], p[3 &* stride], p[4 &* stride], p[5 &* stride], p[6 &* stride],
            p[7 &* stride], p[8 &* stride], p[9 &* stride], p[10 &* stride], p[11 &* stride], p[12 &* stride],
            p[13 &* stride], p[14 &* stride], p[15 &* stride]
        )
    }

    /// Writes value ξ to p[ξ·stride] (one per transformed position).
    @inline(__always)
    public func scatter(to p: UnsafeMutablePointer<Float>, stride: Int) {
        let s = storage
        p[0] = s.0
        p[stride] = s.1
        p[2 &* stride] = s.2
        p[3 &* stride] = s.3
        p[4 &* stride] = s.4
        p[5 &* stride] = s.5
        p[6 &* stride] = s.6
        p[7 &* stride] = s.7
        p[8 &* stride] = s.8
        p[9 &* stride] = s.9
        p[10 &* stride] = s.10
        p[11 &* stride] = s.11
        p[12 &* stride] = s.12
        p[13 &* stride] = s.13
        p[14 &* stride] = s.14
        p[15 &* stride] = s.15
    }

    public subscript(i: Int) -> Float {
        @inline(__always) get {
            withUnsafeBytes(of: storage) { $0.load(fromByteOffset: i &* 4, as: Float.self) }
        }
        @inline(__always) set {
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue, toByteOffset: i &* 4, as: Float.self) }
        }
    }
}
