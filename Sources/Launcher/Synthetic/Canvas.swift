import Data
import Support

/// A float RGB drawing surface and binary masks for the synthetic scenes.
struct Canvas {
    let width: Int, height: Int
    var rgb: [Float]  // HWC, 0…255

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        rgb = [Float](repeating: 0, count: width * height * 3)
    }

    /// Paints every pixel where `inside` holds with `color(x, y)`.
    mutating func paint(_ mask: Mask, color: (Int, Int) -> (Float, Float, Float)) {
        for y in 0..<height {
            for x in 0..<width where mask[x, y] {
                let (r, g, b) = color(x, y)
                let i = (y * width + x) * 3
                rgb[i] = r
                rgb[i + 1] = g
                rgb[i + 2] = b
            }
        }
    }

    mutating func addNoise(_ amplitude: Float, rng: inout KeyedRandom) {
        for i in 0..<rgb.count { rgb[i] += rng.uniform(-amplitude, amplitude) }
    }

    func image() -> Image8 {
        Image8(width: width, height: height, channels: 3, pixels: rgb.map { UInt8(max(0, min(255, $0.rounded()))) })
    }
}

/// A binary mask over the canvas.
struct Mask {
    let width: Int, height: Int
    var bits: [Bool]

    init(width: Int, height: Int, _ inside: (Int, Int) -> Bool = { _, _ in false }) {
        self.width = width
        self.height = height
        bits = [Bool](repeating: false, count: width * height)
        for y in 0..<height { for x in 0..<width { bits[y * width + x] = inside(x, y) } }
    }

    subscript(x: Int, y: Int) -> Bool {
        get { x >= 0 && y >= 0 && x < width && y < height && bits[y * width + x] }
        set { bits[y * width + x] = newValue }
    }

    static func | (a: Mask, b: Mask) -> Mask {
        var m = a
        for i in 0..<m.bits.count { m.bits[i] = a.bits[i] || b.bits[i] }
        return m
    }

    static func - (a: Mask, b: Mask) -> Mask {
        var m = a
        for i in 0..<m.bits.count { m.bits[i] = a.bits[i] && !b.bits[i] }
        return m
    }

    var area: Int { bits.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// Inside pixels with an outside 4-neighbour within `width` steps: the
    /// band VOC marks 255 (ignore) on object borders.
    func border(thickness: Int) -> Mask {
        var out = Mask(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width where self[x, y] {
                var edge = false
                for d in 1...thickness where !edge {
                    edge =
                        !self[x - d, y] && x - d >= 0 || !self[x + d, y] && x + d < width
                        || !self[x, y - d] && y - d >= 0 || !self[x, y + d] && y + d < height
                }
                out[x, y] = edge
            }
        }
        return out
    }

    static func ellipse(width: Int, height: Int, cx: Float, cy: Float, rx: Float, ry: Float) -> Mask {
        Mask(width: width, height: height) { x, y in
            let dx = (Float(x) - cx) / rx
            let dy = (Float(y) - cy) / ry
            return dx * dx + dy * dy <= 1
        }
    }

    static func rect(width: Int, height: Int, x0: Float, y0: Float, x1: Float, y1: Float) -> Mask {
        Mask(width: width, height: height) { x, y in
            Float(x) >= x0 && Float(x) <= x1 && Float(y) >= y0 && Float(y) <= y1
        }
    }

    /// A triangle given by three corners.
    static func triangle(width: Int, height: Int, _ a: (Float, Float), _ b: (Float, Float), _ c: (Float, Float)) -> Mask
    {
        func side(_ p: (Float, Float), _ q: (Float, Float), _ x: Float, _ y: Float) -> Float {
            (q.0 - p.0) * (y - p.1) - (q.1 - p.1) * (x - p.0)
        }
        return Mask(width: width, height: height) { xi, yi in
            let x = Float(xi)
            let y = Float(yi)
            let s1 = side(a, b, x, y)
            let s2 = side(b, c, x, y)
            let s3 = side(c, a, x, y)
            return (s1 >= 0 && s2 >= 0 && s3 >= 0) || (s1 <= 0 && s2 <= 0 && s3 <= 0)
        }
    }
}
