import Foundation
import Support

/// Distractors of the hard scenes: bushes, rocks, poles with signs or lamps,
/// boxes, fences, trees, patterned blobs, and now and then a balloon or kite
/// in the sky or a buoy on the water. Background in the ground truth, painted
/// in the colours objects use too, so that a colour is never a class.
enum HardClutter {
    /// Draws the distractors behind the objects; returns one shape per item.
    static func draw(
        on canvas: inout Canvas, background: HardBackground, scale: Float, rng: inout KeyedRandom
    ) -> [Shape] {
        let raster = Raster(width: canvas.width, height: canvas.height)
        let h = Float(canvas.height)
        var items: [Shape] = []
        let standing = background.bands.filter { ($0.kind == .ground || $0.kind == .backdrop) && $0.height > 3 }
        for _ in 0..<rng.int(in: 2...7) {
            guard let band = pick(standing, rng: &rng) else { break }
            let x = rng.uniform(0, Float(canvas.width))
            // Things in a far band stand on its bottom edge; on the ground, anywhere in it.
            let y = band.kind == .backdrop ? band.bottom : rng.uniform(band.top, band.bottom)
            let size = h * rng.uniform(0.06, 0.3) * (band.kind == .backdrop ? 0.6 : 1)
            let item: Shape
            // Rooms have no trees, fences or rocks.
            let kind = background.indoor ? [0, 3, 4, 5, 6, 9][rng.int(in: 0...5)] : rng.int(in: 0...9)
            switch kind {
            case 0, 1: item = bush(raster, x, y, size, &canvas, &rng)
            case 2: item = rock(raster, x, y, size * 0.6, &canvas, &rng)
            case 3, 4: item = pole(raster, x, y, h * rng.uniform(0.25, 0.7), &canvas, &rng)
            case 5, 6: item = box(raster, x, y, size, &canvas, &rng)
            case 7: item = fence(raster, x, y, size * 0.5, &canvas, &rng)
            case 8: item = tree(raster, x, y, h * rng.uniform(0.3, 0.8), &canvas, &rng)
            default: item = patterned(raster, x, y, size * 0.6, &canvas, &rng)
            }
            items.append(item)
        }
        if let sky = background.bands(.sky).first, rng.nextUnitFloat() < 0.15 {
            let x = rng.uniform(0, Float(canvas.width))
            let y = rng.uniform(sky.top + sky.height * 0.1, sky.top + sky.height * 0.6)
            items.append(floating(raster, x, y, h * rng.uniform(0.05, 0.12), &canvas, &rng))
        }
        if let water = background.bands(.water).first, rng.nextUnitFloat() < 0.25 {
            let x = rng.uniform(0, Float(canvas.width))
            let y = rng.uniform(water.top + water.height * 0.2, water.bottom)
            let r = h * rng.uniform(0.015, 0.04)
            let buoy = raster.ellipse(x, y - r * 0.6, r, r * 1.1)
            canvas.fill(buoy, Surface.shaded(Palette.vivid(&rng), top: y - r * 2, bottom: y, noise: ValueNoise(&rng)))
            items.append(buoy)
        }
        return items
    }

    /// A band chosen with probability proportional to its height.
    static func pick(_ bands: [HardBackground.Band], rng: inout KeyedRandom) -> HardBackground.Band? {
        let total = bands.reduce(0) { $0 + $1.height }
        guard total > 0 else { return nil }
        var r = rng.uniform(0, total)
        for band in bands {
            r -= band.height
            if r <= 0 { return band }
        }
        return bands.last
    }

    static func lumps(_ rng: inout KeyedRandom, _ amount: Float) -> [(Float, Float)] {
        (0..<4).map { _ in (rng.uniform(0, amount), rng.uniform(0, 6.28)) }
    }

    static func bush(
        _ r: Raster, _ x: Float, _ y: Float, _ size: Float, _ canvas: inout Canvas, _ rng: inout KeyedRandom
    ) -> Shape {
        let shape = r.blob(x, y - size * 0.4, size * rng.uniform(0.6, 1.1), size * 0.45, lumps: lumps(&rng, 0.15))
        let flowers = rng.nextUnitFloat() < 0.3 ? Palette.vivid(&rng) : nil
        let leaves = Textures.foliage(scale: size / 60, rng: &rng)
        let dots = ValueNoise(&rng)
        canvas.fill(shape) { px, py in
            if let flowers, dots.lattice(px / 2, py / 2) > 0.9 { return flowers }
            return leaves(px, py)
        }
        return shape
    }

    static func rock(
        _ r: Raster, _ x: Float, _ y: Float, _ size: Float, _ canvas: inout Canvas, _ rng: inout KeyedRandom
    ) -> Shape {
        let shape = r.blob(x, y - size * 0.35, size, size * 0.5, lumps: lumps(&rng, 0.12))
        let stone = ValueNoise(&rng)
        canvas.fill(shape, Surface.shaded(Palette.earthy(&rng), top: y - size, bottom: y, noise: stone, grain: 0.25))
        return shape
    }

    /// A post with a sign, a lamp or a cross-bar on top.
    static func pole(
        _ r: Raster, _ x: Float, _ y: Float, _ height: Float, _ canvas: inout Canvas, _ rng: inout KeyedRandom
    ) -> Shape {
        let radius = max(1.2, height * rng.uniform(0.008, 0.02))
        let post = r.capsule((x, y), (x, y - height), radius, radius * 0.8)
        let metal = rng.nextUnitFloat() < 0.5 ? RGB(90, 92, 95) : Palette.earthy(&rng)
        canvas.fill(post, Surface.shaded(metal, top: y - height, bottom: y, noise: ValueNoise(&rng)))
        var parts = [post]
        let top = y - height
        switch rng.int(in: 0...2) {
        case 0:
            let s = height * rng.uniform(0.08, 0.18)
            let sign = rng.nextUnitFloat() < 0.5 ? r.rect(x - s, top, x + s, top + s * 1.2) : r.ellipse(x, top, s, s)
            let paint = Palette.vivid(&rng)
            let border = RGB(240, 240, 240)
            canvas.fill(sign) { px, py in
                sign.contains(px - 2, py) && sign.contains(px + 2, py) && sign.contains(px, py - 2)
                    && sign.contains(px, py + 2) ? paint : border
            }
            parts.append(sign)
        case 1:
            let lamp = r.ellipse(x + radius * 3, top + radius, radius * 3, radius * 1.6)
            canvas.fill(lamp, Surface.solid(RGB(230, 225, 190)))
            parts.append(lamp)
        default:
            let bar = r.rect(
                x - height * 0.15, top + height * 0.05, x + height * 0.15, top + height * 0.05 + radius * 1.5)
            canvas.fill(bar, Surface.solid(metal * 0.8))
            parts.append(bar)
        }
        return Shape.union(parts, canvas: r.size)
    }

    /// A crate, kiosk, bin or container in paint colours.
    static func box(
        _ r: Raster, _ x: Float, _ y: Float, _ size: Float, _ canvas: inout Canvas, _ rng: inout KeyedRandom
    ) -> Shape {
        let w = size * rng.uniform(0.5, 1.8)
        let shape = r.rect(x - w / 2, y - size, x + w / 2, y)
        let paint = Palette.vivid(&rng)
        let stripes = rng.nextUnitFloat() < 0.4
        let period = max(3, size * rng.uniform(0.08, 0.2))
        let shade = Surface.shaded(paint, top: y - size, bottom: y, noise: ValueNoise(&rng), grain: 0.12)
        canvas.fill(shape) { px, py in
            stripes && Float(px).truncatingRemainder(dividingBy: period) < 1.5 ? paint * 0.6 : shade(px, py)
        }
        return shape
    }

    static func fence(
        _ r: Raster, _ x: Float, _ y: Float, _ height: Float, _ canvas: inout Canvas, _ rng: inout KeyedRandom
    ) -> Shape {
        let span = height * rng.uniform(3, 8)
        let post = max(1.5, height * 0.06)
        let gap = height * rng.uniform(0.5, 0.9)
        var parts: [Shape] = []
        var px = x - span / 2
        while px < x + span / 2 {
            parts.append(r.rect(px, y - height, px + post * 2, y))
            px += gap
        }
        parts.append(r.rect(x - span / 2, y - height * 0.85, x + span / 2, y - height * 0.85 + post * 1.5))
        parts.append(r.rect(x - span / 2, y - height * 0.45, x + span / 2, y - height * 0.45 + post * 1.5))
        let shape = Shape.union(parts, canvas: r.size)
        let color = rng.nextUnitFloat() < 0.4 ? RGB(230, 230, 225) : Palette.earthy(&rng)
        canvas.fill(shape, Surface.shaded(color, top: y - height, bottom: y, noise: ValueNoise(&rng), grain: 0.2))
        return shape
    }

    static func tree(
        _ r: Raster, _ x: Float, _ y: Float, _ height: Float, _ canvas: inout Canvas, _ rng: inout KeyedRandom
    ) -> Shape {
        let trunk = r.capsule((x, y), (x, y - height * 0.6), height * 0.04, height * 0.025)
        canvas.fill(trunk, Surface.shaded(RGB(85, 60, 40), top: y - height, bottom: y, noise: ValueNoise(&rng)))
        let crown = r.blob(
            x, y - height * 0.68, height * rng.uniform(0.25, 0.4), height * 0.32, lumps: lumps(&rng, 0.18))
        canvas.fill(crown, Textures.foliage(scale: height / 150, rng: &rng))
        return Shape.union([trunk, crown], canvas: r.size)
    }

    /// A blob with a patched or striped pattern (a rug, a painted rock): a
    /// hard negative for animals with patches.
    static func patterned(
        _ r: Raster, _ x: Float, _ y: Float, _ size: Float, _ canvas: inout Canvas, _ rng: inout KeyedRandom
    ) -> Shape {
        let shape = r.blob(x, y - size * 0.5, size * rng.uniform(0.7, 1.3), size * 0.5, lumps: lumps(&rng, 0.2))
        let a = Palette.earthy(&rng)
        let b = rng.nextUnitFloat() < 0.5 ? RGB(235, 235, 230) : Palette.vivid(&rng)
        let n1 = ValueNoise(&rng)
        let cell = size * rng.uniform(0.2, 0.5)
        canvas.fill(shape) { px, py in n1.fbm(Float(px), Float(py), scale: cell, octaves: 2) > 0.5 ? a : b }
        return shape
    }

    /// A balloon or a kite in the sky: salient, but no object class.
    static func floating(
        _ r: Raster, _ x: Float, _ y: Float, _ size: Float, _ canvas: inout Canvas, _ rng: inout KeyedRandom
    ) -> Shape {
        let paint = Palette.vivid(&rng)
        if rng.nextUnitFloat() < 0.5 {
            let balloon = r.ellipse(x, y, size * 0.8, size)
            let basket = r.rect(x - size * 0.15, y + size * 1.2, x + size * 0.15, y + size * 1.45)
            canvas.fill(balloon, Surface.shaded(paint, top: y - size, bottom: y + size, noise: ValueNoise(&rng)))
            canvas.fill(basket, Surface.solid(RGB(90, 65, 40)))
            return Shape.union([balloon, basket], canvas: r.size)
        }
        let kite = r.polygon([(x, y - size), (x + size * 0.6, y), (x, y + size * 1.3), (x - size * 0.6, y)])
        let tail = r.capsule((x, y + size * 1.3), (x - size * 0.5, y + size * 2.5), 1, 0.8)
        canvas.fill(kite, Surface.solid(paint))
        canvas.fill(tail, Surface.solid(paint * 0.7))
        return Shape.union([kite, tail], canvas: r.size)
    }
}
