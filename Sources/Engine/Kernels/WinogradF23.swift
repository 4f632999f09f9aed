/// Winograd F(2×2, 3×3) (Lavin & Gray 2016): a 2×2 block of a 3×3
/// convolution's outputs from a 4×4 input tile with 16 multiplications
/// instead of 36 (WinogradTransform gives the form),
///
///     Bᵀ = | 1  0 −1  0 |    G = | 1    0    0  |    Aᵀ = | 1  1  1  0 |
///          | 0  1  1  0 |        | ½    ½    ½  |         | 0  1 −1 −1 |
///          | 0 −1  1  0 |        | ½   −½    ½  |
///          | 0  1  0 −1 |        | 0    0    1  |
///
/// Each function maps one tile (row-major 4×4 in a `WinogradTile`).
public enum WinogradF23: WinogradTransform {
    @inline(__always) public static var outputs: Int { 2 }

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

    /// G applied to three values (one column or row of the kernel).
    @inline(__always)
    static func g<V: WinogradLanes>(_ g0: V, _ g1: V, _ g2: V) -> (V, V, V, V) {
        let even = g0 + g2
        return (g0, 0.5 * (even + g1), 0.5 * (even - g1), g2)
    }

    @inline(__always)
    public static func kernelTransform<V: WinogradLanes>(_ load: (Int) -> V, _ store: (Int, V) -> Void) {
        // The columns of t = G g, then u = t Gᵀ row by row.
        let c0 = g(load(0), load(3), load(6))
        let c1 = g(load(1), load(4), load(7))
        let c2 = g(load(2), load(5), load(8))
        @inline(__always) func row(_ r: Int, _ u: (V, V, V, V)) {
            store(4 * r, u.0)
            store(4 * r + 1, u.1)
            store(4 * r + 2, u.2)
            store(4 * r + 3, u.3)
        }
        row(0, g(c0.0, c1.0, c2.0))
        row(1, g(c0.1, c1.1, c2.1))
        row(2, g(c0.2, c1.2, c2.2))
        row(3, g(c0.3, c1.3, c2.3))
    }

    /// Aᵀ m A: 16 transformed products → the 2×2 outputs (y00, y01, y10, y11) first.
    @inline(__always)
    public static func outputTransform(_ m: WinogradTile) -> WinogradTile {
        // t = Aᵀ m (2×4), then y = t A.
        let a0 = m[0] + m[4] + m[8]
        let a1 = m[1] + m[5] + m[9]
        let a2 = m[2] + m[6] + m[10]
        let a3 = m[3] + m[7] + m[11]
        let b0 = m[4] - m[8] - m[12]
        let b1 = m[5] - m[9] - m[13]
        let b2 = m[6] - m[10] - m[14]
        let b3 = m[7] - m[11] - m[15]
        var y = WinogradTile()
        y[0] = a0 + a1 + a2
        y[1] = a1 - a2 - a3
        y[2] = b0 + b1 + b2
        y[3] = b1 - b2 - b3
        return y
    }

    /// A gY Aᵀ, the adjoint of `outputTransform`: the 2×2 output gradients (first four values) → 16 values.
    @inline(__always)
    public static func outputAdjoint(_ gy: WinogradTile) -> WinogradTile {
        let (y00, y01, y10, y11) = (gy[0], gy[1], gy[2], gy[3])
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

    /// Gᵀ applied to four values → three; Gᵀ has rows (1, ½, ½, 0), (0, ½, −½, 0), (0, ½, ½, 1).
    @inline(__always)
    static func gT<V: WinogradLanes>(_ w0: V, _ w1: V, _ w2: V, _ w3: V) -> (V, V, V) {
        let half = 0.5 * (w1 + w2)
        return (w0 + half, 0.5 * (w1 - w2), half + w3)
    }

    @inline(__always)
    public static func kernelAdjoint<V: WinogradLanes>(_ load: (Int) -> V, _ add: (Int, V) -> Void) {
        // The columns of t = Gᵀ w (3×4), then g += t G row by row.
        let c0 = gT(load(0), load(4), load(8), load(12))
        let c1 = gT(load(1), load(5), load(9), load(13))
        let c2 = gT(load(2), load(6), load(10), load(14))
        let c3 = gT(load(3), load(7), load(11), load(15))
        @inline(__always) func row(_ r: Int, _ k: (V, V, V)) {
            add(3 * r, k.0)
            add(3 * r + 1, k.1)
            add(3 * r + 2, k.2)
        }
        row(0, gT(c0.0, c1.0, c2.0, c3.0))
        row(1, gT(c0.1, c1.1, c2.1, c3.1))
        row(2, gT(c0.2, c1.2, c2.2, c3.2))
    }
}
