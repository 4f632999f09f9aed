/// Filters of one float plane (row-major) for the hard scenes. The box blur
/// uses running sums, so its cost does not grow with the radius: VOC-sized
/// pictures stay fast to make.
enum PlaneFilters {
    /// Mean over the (2r+1)² square around each pixel, counting only pixels
    /// inside the plane (no dark rim at the edges).
    static func boxBlur(_ v: [Float], width w: Int, height h: Int, radius r: Int) -> [Float] {
        guard r > 0, w > 0, h > 0 else { return v }
        var rows = [Float](repeating: 0, count: v.count)
        var prefix = [Float](repeating: 0, count: max(w, h) + 1)
        for y in 0..<h {
            for x in 0..<w { prefix[x + 1] = prefix[x] + v[y * w + x] }
            for x in 0..<w {
                let lo = max(0, x - r)
                let hi = min(w - 1, x + r)
                rows[y * w + x] = (prefix[hi + 1] - prefix[lo]) / Float(hi - lo + 1)
            }
        }
        var out = rows
        for x in 0..<w {
            for y in 0..<h { prefix[y + 1] = prefix[y] + rows[y * w + x] }
            for y in 0..<h {
                let lo = max(0, y - r)
                let hi = min(h - 1, y + r)
                out[y * w + x] = (prefix[hi + 1] - prefix[lo]) / Float(hi - lo + 1)
            }
        }
        return out
    }

    /// A 0/1 mask grown (radius > 0) or shrunk (radius < 0) by |radius|
    /// pixels with a square element, through the box mean.
    static func morph(_ v: [Float], width w: Int, height h: Int, radius: Int) -> [Float] {
        guard radius != 0 else { return v }
        let mean = boxBlur(v, width: w, height: h, radius: abs(radius))
        return radius > 0 ? mean.map { $0 > 1e-4 ? 1 : 0 } : mean.map { $0 > 1 - 1e-4 ? 1 : 0 }
    }

    /// The plane moved by (dx, dy); uncovered pixels get `fill`.
    static func shift(_ v: [Float], width w: Int, height h: Int, dx: Int, dy: Int, fill: Float = 0) -> [Float] {
        var out = [Float](repeating: fill, count: v.count)
        for y in 0..<h {
            let sy = y - dy
            guard sy >= 0, sy < h else { continue }
            for x in 0..<w {
                let sx = x - dx
                if sx >= 0, sx < w { out[y * w + x] = v[sy * w + sx] }
            }
        }
        return out
    }
}
