/// Winograd F(4×4, 3×3) (Lavin & Gray 2016; interpolation points 0, ±1, ±2,
/// ∞): a 4×4 block of a 3×3 convolution's outputs from a 6×6 input tile with
/// 36 multiplications instead of 144 (WinogradTransform gives the form),
///
///     Bᵀ = | 4  0 −5  0  1  0 |   G = |  ¼     0     0  |   Aᵀ = | 1  1  1  1  1  0 |
///          | 0 −4 −4  1  1  0 |       | −⅙    −⅙    −⅙  |        | 0  1 −1  2 −2  0 |
///          | 0  4 −4 −1  1  0 |       | −⅙     ⅙    −⅙  |        | 0  1  1  4  4  0 |
///          | 0 −2 −1  2  1  0 |       | 1⁄24  1⁄12  ⅙   |        | 0  1 −1  8 −8  1 |
///          | 0  2 −1 −2  1  0 |       | 1⁄24 −1⁄12  ⅙   |
///          | 0  4  0 −5  0  1 |       |  0     0     1  |
///
/// The larger constants round more than F(2×2, 3×3)'s (docs/PERFORMANCE.md
/// gives both errors against float64). Each 2-D transform is its 1-D matrix
/// applied to the columns, then to the rows, of a row-major 6×6 tile.
public enum WinogradF43: WinogradTransform {
    @inline(__always) public static var outputs: Int { 4 }
    public typealias Six = (Float, Float, Float, Float, Float, Float)

    /// Bᵀ applied to six values.
    @inline(__always)
    static func bT(_ d: Six) -> Six {
        let (d0, d1, d2, d3, d4, d5) = d
        let p = d4 - d2
        let q = 2 * (d1 - d3)
        return (
            4 * d0 - 5 * d2 + d4, d3 + d4 - 4 * (d1 + d2), d4 - d3 + 4 * (d1 - d2), p - q, p + q,
            4 * d1 - 5 * d3 + d5
        )
    }

    /// G applied to three values (one column or row of the kernel).
    @inline(__always)
    static func g<V: WinogradLanes>(_ g0: V, _ g1: V, _ g2: V) -> (V, V, V, V, V, V) {
        let even = g0 + g2
        let a = (1 / 24 as Float) * g0 + (1 / 6 as Float) * g2
        let b = (1 / 12 as Float) * g1
        return (0.25 * g0, (-1 / 6 as Float) * (even + g1), (-1 / 6 as Float) * (even - g1), a + b, a - b, g2)
    }

    /// Aᵀ applied to six values → four.
    @inline(__always)
    static func aT(_ m: Six) -> (Float, Float, Float, Float) {
        let (m0, m1, m2, m3, m4, m5) = m
        let (s1, d1, s2, d2) = (m1 + m2, m1 - m2, m3 + m4, m3 - m4)
        return (m0 + s1 + s2, d1 + 2 * d2, s1 + 4 * s2, d1 + 8 * d2 + m5)
    }

    /// A (the transpose of Aᵀ) applied to four values → six.
    @inline(__always)
    static func a(_ y0: Float, _ y1: Float, _ y2: Float, _ y3: Float) -> Six {
        let (even, odd) = (y0 + y2, y1 + y3)
        let (even2, odd2) = (y0 + 4 * y2, 2 * y1 + 8 * y3)
        return (y0, even + odd, even - odd, even2 + odd2, even2 - odd2, y3)
    }

    /// Gᵀ applied to six values → three.
    @inline(__always)
    static func gT<V: WinogradLanes>(_ w0: V, _ w1: V, _ w2: V, _ w3: V, _ w4: V, _ w5: V) -> (V, V, V) {
        let (s12, d12, s34, d34) = (w1 + w2, w2 - w1, w3 + w4, w3 - w4)
        return (
            0.25 * w0 - (1 / 6 as Float) * s12 + (1 / 24 as Float) * s34,
            (1 / 6 as Float) * d12 + (1 / 12 as Float) * d34, (1 / 6 as Float) * (s34 - s12) + w5
        )
    }

    // Columns and rows of a row-major 6×6 tile (row stride 6) through a pointer.
    @inline(__always)
    static func column(_ t: UnsafePointer<Float>, _ c: Int) -> Six {
        (t[c], t[6 + c], t[12 + c], t[18 + c], t[24 + c], t[30 + c])
    }

    @inline(__always)
    static func row(_ t: UnsafePointer<Float>, _ r: Int) -> Six {
        (t[6 * r], t[6 * r + 1], t[6 * r + 2], t[6 * r + 3], t[6 * r + 4], t[6 * r + 5])
    }

    @inline(__always)
    static func setColumn(_ t: UnsafeMutablePointer<Float>, _ c: Int, _ v: Six) {
        (t[c], t[6 + c], t[12 + c], t[18 + c], t[24 + c], t[30 + c]) = v
    }

    @inline(__always)
    static func setRow(_ t: UnsafeMutablePointer<Float>, _ r: Int, _ v: Six) {
        (t[6 * r], t[6 * r + 1], t[6 * r + 2], t[6 * r + 3], t[6 * r + 4], t[6 * r + 5]) = v
    }

    /// body(t, out) with a 6×6 temporary t and the result's values.
    @inline(__always)
    static func transforming(
        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> WinogradTile36 {
        var t = WinogradTile36()
        var out = WinogradTile36()
        t.withMutableValues { tp in out.withMutableValues { body(tp, $0) } }
        return out
    }

    @inline(__always)
    public static func inputTransform(_ d: WinogradTile36) -> WinogradTile36 {
        // t = Bᵀ d column by column, then v = t B row by row.
        d.withValues { dp in
            transforming { t, v in
                for c in 0..<6 { setColumn(t, c, bT(column(dp, c))) }
                for r in 0..<6 { setRow(v, r, bT(row(t, r))) }
            }
        }
    }

    @inline(__always)
    public static func kernelTransform<V: WinogradLanes>(_ load: (Int) -> V, _ store: (Int, V) -> Void) {
        // The columns of t = G g (6×3), then u = t Gᵀ row by row.
        let c0 = g(load(0), load(3), load(6))
        let c1 = g(load(1), load(4), load(7))
        let c2 = g(load(2), load(5), load(8))
        @inline(__always) func row(_ r: Int, _ u: (V, V, V, V, V, V)) {
            store(6 * r, u.0)
            store(6 * r + 1, u.1)
            store(6 * r + 2, u.2)
            store(6 * r + 3, u.3)
            store(6 * r + 4, u.4)
            store(6 * r + 5, u.5)
        }
        row(0, g(c0.0, c1.0, c2.0))
        row(1, g(c0.1, c1.1, c2.1))
        row(2, g(c0.2, c1.2, c2.2))
        row(3, g(c0.3, c1.3, c2.3))
        row(4, g(c0.4, c1.4, c2.4))
        row(5, g(c0.5, c1.5, c2.5))
    }

    @inline(__always)
    public static func outputTransform(_ m: WinogradTile36) -> WinogradTile36 {
        // t = Aᵀ m: 4×6 with row stride 6; then y = t A row by row (4×4, row stride 4).
        m.withValues { mp in
            transforming { t, y in
                for c in 0..<6 {
                    let (y0, y1, y2, y3) = aT(column(mp, c))
                    (t[c], t[6 + c], t[12 + c], t[18 + c]) = (y0, y1, y2, y3)
                }
                for r in 0..<4 { (y[4 * r], y[4 * r + 1], y[4 * r + 2], y[4 * r + 3]) = aT(row(t, r)) }
            }
        }
    }

    @inline(__always)
    public static func outputAdjoint(_ gy: WinogradTile36) -> WinogradTile36 {
        // t = A gY: 6×4 with row stride 6; then m = t Aᵀ row by row.
        gy.withValues { y in
            transforming { t, m in
                for c in 0..<4 { setColumn(t, c, a(y[c], y[4 + c], y[8 + c], y[12 + c])) }
                for r in 0..<6 { setRow(m, r, a(t[6 * r], t[6 * r + 1], t[6 * r + 2], t[6 * r + 3])) }
            }
        }
    }

    @inline(__always)
    public static func kernelAdjoint<V: WinogradLanes>(_ load: (Int) -> V, _ add: (Int, V) -> Void) {
        // The columns of t = Gᵀ w (3×6), then g += t G row by row.
        @inline(__always) func column(_ c: Int) -> (V, V, V) {
            gT(load(c), load(6 + c), load(12 + c), load(18 + c), load(24 + c), load(30 + c))
        }
        let (c0, c1, c2, c3, c4, c5) = (column(0), column(1), column(2), column(3), column(4), column(5))
        @inline(__always) func row(_ r: Int, _ k: (V, V, V)) {
            add(3 * r, k.0)
            add(3 * r + 1, k.1)
            add(3 * r + 2, k.2)
        }
        row(0, gT(c0.0, c1.0, c2.0, c3.0, c4.0, c5.0))
        row(1, gT(c0.1, c1.1, c2.1, c3.1, c4.1, c5.1))
        row(2, gT(c0.2, c1.2, c2.2, c3.2, c4.2, c5.2))
    }
}
