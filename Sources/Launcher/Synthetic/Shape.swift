import Foundation

/// An RGB colour, 0…255 per channel, for the hard scenes.
struct RGB {
    var r: Float
    var g: Float
    var b: Float

    init(_ r: Float, _ g: Float, _ b: Float) {
        self.r = r
        self.g = g
        self.b = b
    }

    static func * (c: RGB, k: Float) -> RGB { RGB(c.r * k, c.g * k, c.b * k) }
    static func + (c: RGB, d: RGB) -> RGB { RGB(c.r + d.r, c.g + d.g, c.b + d.b) }

    /// `self` moved towards `other` by t (0 keeps self, 1 gives other).
    func mixed(_ other: RGB, _ t: Float) -> RGB { self * (1 - t) + other * t }
}

/// How a part is coloured: a colour for each canvas pixel it covers.
typealias Texture = (Int, Int) -> RGB

/// A filled figure in canvas pixels, stored only over its bounding box, so a
/// small part costs its own area and not the whole canvas's.
struct Shape {
    let x0: Int, y0: Int, x1: Int, y1: Int  // covers x0..<x1, y0..<y1, clipped to the canvas
    var bits: [Bool]

    var isEmpty: Bool { x1 <= x0 || y1 <= y0 }
    var area: Int { bits.reduce(0) { $0 + ($1 ? 1 : 0) } }

    func contains(_ x: Int, _ y: Int) -> Bool {
        x >= x0 && x < x1 && y >= y0 && y < y1 && bits[(y - y0) * (x1 - x0) + (x - x0)]
    }

    /// Calls body(x, y) for every covered pixel.
    func forEachPixel(_ body: (Int, Int) -> Void) {
        let w = x1 - x0
        for y in y0..<max(y0, y1) {
            for x in x0..<max(x0, x1) where bits[(y - y0) * w + (x - x0)] { body(x, y) }
        }
    }

    /// The pixels (tested at their centres) inside `inside` within the bounds.
    init(
        canvas: (width: Int, height: Int), bounds: (Float, Float, Float, Float), inside: (Float, Float) -> Bool
    ) {
        x0 = max(0, Int(bounds.0.rounded(.down)))
        y0 = max(0, Int(bounds.1.rounded(.down)))
        x1 = max(x0, min(canvas.width, Int(bounds.2.rounded(.up)) + 1))
        y1 = max(y0, min(canvas.height, Int(bounds.3.rounded(.up)) + 1))
        let w = x1 - x0
        var bits = [Bool](repeating: false, count: w * (y1 - y0))
        for y in y0..<y1 {
            for x in x0..<x1 where inside(Float(x) + 0.5, Float(y) + 0.5) { bits[(y - y0) * w + (x - x0)] = true }
        }
        self.bits = bits
    }

    /// Every pixel covered by any of the shapes.
    static func union(_ shapes: [Shape], canvas: (width: Int, height: Int)) -> Shape {
        let parts = shapes.filter { !$0.isEmpty }
        guard let first = parts.first else {
            return Shape(canvas: canvas, bounds: (0, 0, -2, -2)) { _, _ in false }
        }
        var out = Shape(
            canvas: canvas,
            bounds: (
                Float(parts.map(\.x0).min() ?? first.x0), Float(parts.map(\.y0).min() ?? first.y0),
                Float((parts.map(\.x1).max() ?? first.x1) - 1), Float((parts.map(\.y1).max() ?? first.y1) - 1)
            )
        ) { _, _ in false }
        let w = out.x1 - out.x0
        for part in parts { part.forEachPixel { x, y in out.bits[(y - out.y0) * w + (x - out.x0)] = true } }
        return out
    }

    /// Pixels covered by both shapes.
    func overlap(_ other: Shape) -> Int {
        var n = 0
        forEachPixel { x, y in if other.contains(x, y) { n += 1 } }
        return n
    }
}

/// The figures the drawers use, in canvas pixels.
struct Raster {
    let width: Int
    let height: Int
    var size: (width: Int, height: Int) { (width, height) }

    /// An ellipse with radii (rx, ry) along `axis` (a unit vector) and across it.
    func ellipse(_ cx: Float, _ cy: Float, _ rx: Float, _ ry: Float, axis: (Float, Float) = (1, 0)) -> Shape {
        let r = max(rx, ry)
        return Shape(canvas: size, bounds: (cx - r, cy - r, cx + r, cy + r)) { x, y in
            let dx = x - cx
            let dy = y - cy
            let along = (dx * axis.0 + dy * axis.1) / max(rx, 0.01)
            let across = (-dx * axis.1 + dy * axis.0) / max(ry, 0.01)
            return along * along + across * across <= 1
        }
    }

    /// A polygon (even-odd rule), corners in order.
    func polygon(_ points: [(Float, Float)]) -> Shape {
        let xs = points.map(\.0)
        let ys = points.map(\.1)
        let bounds = (xs.min() ?? 0, ys.min() ?? 0, xs.max() ?? -2, ys.max() ?? -2)
        return Shape(canvas: size, bounds: bounds) { x, y in
            var inside = false
            var j = points.count - 1
            for i in 0..<points.count {
                let (xi, yi) = points[i]
                let (xj, yj) = points[j]
                if (yi > y) != (yj > y), x < (xj - xi) * (y - yi) / (yj - yi) + xi { inside.toggle() }
                j = i
            }
            return inside
        }
    }

    /// A segment from a to b thickened to radius ra at a and rb at b (limbs, poles, masts).
    func capsule(_ a: (Float, Float), _ b: (Float, Float), _ ra: Float, _ rb: Float) -> Shape {
        let r = max(ra, rb)
        let bounds = (min(a.0, b.0) - r, min(a.1, b.1) - r, max(a.0, b.0) + r, max(a.1, b.1) + r)
        let dx = b.0 - a.0
        let dy = b.1 - a.1
        let len2 = max(dx * dx + dy * dy, 1e-6)
        return Shape(canvas: size, bounds: bounds) { x, y in
            let t = min(1, max(0, ((x - a.0) * dx + (y - a.1) * dy) / len2))
            let px = a.0 + t * dx - x
            let py = a.1 + t * dy - y
            let radius = max(ra + (rb - ra) * t, 0.6)
            return px * px + py * py <= radius * radius
        }
    }

    func rect(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float) -> Shape {
        Shape(canvas: size, bounds: (x0, y0, x1, y1)) { x, y in x >= x0 && x <= x1 && y >= y0 && y <= y1 }
    }

    /// A lumpy round figure (bush, rock, cloud of leaves): an ellipse whose
    /// radius wobbles with the angle.
    func blob(_ cx: Float, _ cy: Float, _ rx: Float, _ ry: Float, lumps: [(Float, Float)]) -> Shape {
        Shape(canvas: size, bounds: (cx - rx * 1.4, cy - ry * 1.4, cx + rx * 1.4, cy + ry * 1.4)) { x, y in
            let dx = (x - cx) / rx
            let dy = (y - cy) / ry
            let angle = atan2f(dy, dx)
            var r: Float = 1
            for (k, lump) in lumps.enumerated() { r += lump.0 * sinf(Float(k + 2) * angle + lump.1) }
            return dx * dx + dy * dy <= r * r
        }
    }
}

/// Object-local coordinates for the class drawers: origin at the object's
/// base (where it stands or floats), one unit = `size` pixels, u towards
/// the object's front (mirrored when it faces left), v up, and an optional
/// tilt (a climbing aeroplane).
struct Frame {
    let raster: Raster
    let originX: Float, originY: Float, size: Float
    let facing: Float  // +1 faces right, -1 faces left
    var tilt: Float = 0  // radians, counter-clockwise in (u, v)

    func point(_ u: Float, _ v: Float) -> (Float, Float) {
        let c = cosf(tilt)
        let s = sinf(tilt)
        let ru = u * c - v * s
        let rv = u * s + v * c
        return (originX + facing * ru * size, originY - rv * size)
    }

    func polygon(_ points: [(Float, Float)]) -> Shape { raster.polygon(points.map { point($0.0, $0.1) }) }

    func rect(_ u0: Float, _ v0: Float, _ u1: Float, _ v1: Float) -> Shape {
        polygon([(u0, v0), (u1, v0), (u1, v1), (u0, v1)])
    }

    /// Radii in units; `angle` turns the long axis from the u axis (radians).
    func ellipse(_ u: Float, _ v: Float, _ ru: Float, _ rv: Float, angle: Float = 0) -> Shape {
        let c = point(u, v)
        let a = point(u + cosf(angle), v + sinf(angle))
        let len = max(((a.0 - c.0) * (a.0 - c.0) + (a.1 - c.1) * (a.1 - c.1)).squareRoot(), 1e-6)
        return raster.ellipse(c.0, c.1, ru * size, rv * size, axis: ((a.0 - c.0) / len, (a.1 - c.1) / len))
    }

    func capsule(_ a: (Float, Float), _ b: (Float, Float), _ ra: Float, _ rb: Float) -> Shape {
        raster.capsule(point(a.0, a.1), point(b.0, b.1), ra * size, rb * size)
    }

    /// Local (u, v) of a canvas pixel: textures that move with the object
    /// (patches, stripes) are defined there.
    func local(_ x: Int, _ y: Int) -> (Float, Float) {
        let ru = (Float(x) + 0.5 - originX) / (facing * size)
        let rv = (originY - Float(y) - 0.5) / size
        let c = cosf(tilt)
        let s = sinf(tilt)
        return (ru * c + rv * s, -ru * s + rv * c)
    }

    /// Canvas y of local height v at the origin (for shading bounds).
    func y(_ v: Float) -> Float { originY - v * size }
}

extension Canvas {
    /// Paints the shape's pixels with the texture.
    mutating func fill(_ shape: Shape, _ texture: Texture) {
        shape.forEachPixel { x, y in
            let c = texture(x, y)
            let i = (y * width + x) * 3
            rgb[i] = c.r
            rgb[i + 1] = c.g
            rgb[i + 2] = c.b
        }
    }

    /// Mixes `color` into the shape's pixels with weight alpha(x, y).
    mutating func blend(_ shape: Shape, _ color: RGB, alpha: (Int, Int) -> Float) {
        shape.forEachPixel { x, y in
            let a = alpha(x, y)
            guard a > 0 else { return }
            let c = color
            let i = (y * width + x) * 3
            rgb[i] += (c.r - rgb[i]) * a
            rgb[i + 1] += (c.g - rgb[i + 1]) * a
            rgb[i + 2] += (c.b - rgb[i + 2]) * a
        }
    }

    func color(_ x: Int, _ y: Int) -> RGB {
        let i = (y * width + x) * 3
        return RGB(rgb[i], rgb[i + 1], rgb[i + 2])
    }
}
