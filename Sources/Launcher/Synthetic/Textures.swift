import Foundation
import Support

/// Background textures of the hard scenes: each returns the colour of any
/// pixel of its region, drawn from multi-octave value noise with a random
/// palette, so no two pictures share a background.
enum Textures {
    static func smoothstep(_ a: Float, _ b: Float, _ x: Float) -> Float {
        let t = min(1, max(0, (x - a) / (b - a)))
        return t * t * (3 - 2 * t)
    }

    /// Blue gradient (deep at the top, pale at the horizon) with clouds.
    static func sky(top: Float, bottom: Float, scale: Float, rng: inout KeyedRandom) -> Texture {
        let overcast = rng.nextUnitFloat() < 0.2
        let zenith =
            overcast
            ? RGB(rng.uniform(120, 160), rng.uniform(135, 170), rng.uniform(165, 200))
            : RGB(rng.uniform(35, 95), rng.uniform(85, 150), rng.uniform(175, 240))
        let horizon = RGB(rng.uniform(170, 220), rng.uniform(190, 228), rng.uniform(215, 245))
        let clouds = ValueNoise(&rng)
        let coverage = rng.uniform(overcast ? 0.3 : 0.42, 0.75)  // fbm above this is cloud
        let size = rng.uniform(60, 170) * scale
        let stretch = rng.uniform(1.5, 3)
        let span = max(bottom - top, 1)
        return { x, y in
            let t = min(1, max(0, (Float(y) - top) / span))
            let base = zenith.mixed(horizon, powf(t, 0.8))
            let n = clouds.fbm(Float(x), Float(y) * stretch, scale: size, octaves: 4)
            let a = smoothstep(coverage, coverage + 0.16, n)
            guard a > 0 else { return base }
            let shade = 0.8 + 0.2 * smoothstep(coverage, coverage + 0.3, n)
            return base.mixed(RGB(246, 246, 250) * shade, a * 0.95)
        }
    }

    /// Blue, teal or grey water: darker near, horizontal ripples, glints.
    static func water(top: Float, bottom: Float, scale: Float, rng: inout KeyedRandom) -> Texture {
        let deep: RGB
        switch rng.int(in: 0...2) {
        case 0: deep = RGB(rng.uniform(15, 45), rng.uniform(55, 100), rng.uniform(110, 170))
        case 1: deep = RGB(rng.uniform(20, 50), rng.uniform(80, 120), rng.uniform(100, 130))
        default: deep = RGB(rng.uniform(70, 100), rng.uniform(85, 110), rng.uniform(100, 125))
        }
        let far = deep.mixed(RGB(180, 200, 220), rng.uniform(0.2, 0.45))
        let ripples = ValueNoise(&rng)
        let glints = ValueNoise(&rng)
        let size = rng.uniform(14, 30) * scale
        let glintRate: Float = rng.uniform(0.975, 0.995)
        let span = max(bottom - top, 1)
        return { x, y in
            let t = min(1, max(0, (Float(y) - top) / span))
            let base = far.mixed(deep * 0.85, t)
            let near = 1 + 2 * t  // waves look bigger near the camera
            let n = ripples.fbm(Float(x) * 0.2 / near, Float(y) * 1.2 / near, scale: size, octaves: 3)
            var c = base * (0.78 + 0.45 * n)
            if glints.lattice(x / 4, y) > glintRate { c = c.mixed(RGB(235, 240, 245), 0.7) }
            return c
        }
    }

    /// A railway seen from the side: gravel bed, sleepers, two steel rails.
    /// Returns the texture and the canvas y of the near rail (where wheels stand).
    static func rails(top: Float, bottom: Float, scale: Float, rng: inout KeyedRandom) -> (Texture, Float) {
        let th = max(bottom - top, 4)
        let farRail = top + 0.32 * th
        let nearRail = top + 0.68 * th
        let railWidth = max(2, 0.08 * th)
        let spacing = max(6, th * rng.uniform(0.7, 1.0))
        let sleeperWidth = spacing * rng.uniform(0.3, 0.45)
        let slant = rng.uniform(-0.3, 0.3)
        let gravel = RGB(rng.uniform(95, 140), rng.uniform(88, 125), rng.uniform(78, 110))
        let sleeper =
            rng.nextUnitFloat() < 0.5
            ? RGB(rng.uniform(65, 95), rng.uniform(48, 68), rng.uniform(35, 50))
            : RGB(rng.uniform(140, 165), rng.uniform(138, 160), rng.uniform(132, 150))
        let steel = RGB(rng.uniform(150, 185), rng.uniform(150, 185), rng.uniform(155, 190))
        let stones = ValueNoise(&rng)
        let texture: Texture = { x, y in
            let fy = Float(y)
            for rail in [farRail, nearRail] where fy >= rail - railWidth && fy < rail + railWidth * 0.6 {
                return fy < rail - railWidth * 0.5 ? RGB(225, 225, 228) : steel * (fy < rail ? 1 : 0.55)
            }
            let along = Float(x) + (fy - top) * slant
            if fy > top + 0.2 * th, fy < top + 0.86 * th,
                along.truncatingRemainder(dividingBy: spacing) + (along < 0 ? spacing : 0) < sleeperWidth
            {
                return sleeper * (0.85 + 0.3 * stones.fbm(Float(x), fy, scale: 6 * scale, octaves: 2))
            }
            let grain = stones.lattice(x / 2, y / 2) - 0.5
            return gravel * (0.8 + 0.35 * stones.fbm(Float(x), fy, scale: 3 * scale, octaves: 2) + 0.3 * grain)
        }
        return (texture, nearRail)
    }

    /// Grass, road, dirt, paving or (indoors) a wooden floor.
    static func ground(top: Float, bottom: Float, indoor: Bool, scale: Float, rng: inout KeyedRandom) -> Texture {
        if indoor { return floor(scale: scale, rng: &rng) }
        switch rng.int(in: 0...5) {
        case 0, 1: return grass(top: top, bottom: bottom, scale: scale, rng: &rng)
        case 2: return road(top: top, bottom: bottom, scale: scale, rng: &rng)
        case 3: return paving(scale: scale, rng: &rng)
        default: return dirt(scale: scale, rng: &rng)
        }
    }

    static func grass(top: Float, bottom: Float, scale: Float, rng: inout KeyedRandom) -> Texture {
        let dry = rng.nextUnitFloat() < 0.25
        let base =
            dry
            ? RGB(rng.uniform(140, 180), rng.uniform(130, 160), rng.uniform(60, 90))
            : RGB(rng.uniform(50, 100), rng.uniform(100, 150), rng.uniform(30, 65))
        let patches = ValueNoise(&rng)
        let blades = ValueNoise(&rng)
        let size = rng.uniform(30, 80) * scale
        return { x, y in
            let p = patches.fbm(Float(x), Float(y) * 2, scale: size, octaves: 3)
            let b = blades.at(Float(x) * 0.7 / scale, Float(y) * 0.12 / scale)
            return base * (0.7 + 0.5 * p + 0.25 * (b - 0.5))
        }
    }

    static func road(top: Float, bottom: Float, scale: Float, rng: inout KeyedRandom) -> Texture {
        let g = rng.uniform(65, 125)
        let base = RGB(g, g * rng.uniform(0.97, 1.03), g * rng.uniform(0.95, 1.08))
        let stains = ValueNoise(&rng)
        let marking = rng.nextUnitFloat() < 0.6
        let lineY = top + (bottom - top) * rng.uniform(0.3, 0.8)
        let lineWidth = rng.uniform(2, 5) * scale
        let dash = rng.uniform(25, 60) * scale
        let paint = rng.nextUnitFloat() < 0.7 ? RGB(235, 235, 225) : RGB(230, 190, 50)
        return { x, y in
            if marking, abs(Float(y) - lineY) < lineWidth, Float(x).truncatingRemainder(dividingBy: dash * 1.8) < dash {
                return paint * (0.9 + 0.1 * stains.lattice(x, y))
            }
            let n = stains.fbm(Float(x), Float(y), scale: 40 * scale, octaves: 3)
            return base * (0.8 + 0.35 * n + 0.18 * (stains.lattice(x, y) - 0.5))
        }
    }

    static func dirt(scale: Float, rng: inout KeyedRandom) -> Texture {
        let base =
            rng.nextUnitFloat() < 0.5
            ? RGB(rng.uniform(165, 205), rng.uniform(140, 175), rng.uniform(95, 125))
            : RGB(rng.uniform(95, 130), rng.uniform(70, 95), rng.uniform(45, 65))
        let n1 = ValueNoise(&rng)
        return { x, y in
            let n = n1.fbm(Float(x), Float(y) * 1.6, scale: 24 * scale, octaves: 4)
            return base * (0.72 + 0.5 * n + 0.14 * (n1.lattice(x, y) - 0.5))
        }
    }

    static func paving(scale: Float, rng: inout KeyedRandom) -> Texture {
        let base = RGB(rng.uniform(130, 180), rng.uniform(125, 170), rng.uniform(115, 160))
        let tw = rng.uniform(18, 40) * scale
        let thh = tw * rng.uniform(0.35, 0.6)
        let n1 = ValueNoise(&rng)
        return { x, y in
            let row = Int(Float(y) / thh)
            let fx = Float(x) + (row % 2 == 0 ? 0 : tw / 2)
            let col = Int(fx / tw)
            if fx - Float(col) * tw < 1.5 || Float(y) - Float(row) * thh < 1.5 { return base * 0.6 }
            let tile = 0.88 + 0.2 * n1.lattice(col, row)
            return base * (tile + 0.15 * (n1.fbm(Float(x), Float(y), scale: 6, octaves: 2) - 0.5))
        }
    }

    static func floor(scale: Float, rng: inout KeyedRandom) -> Texture {
        let wood = RGB(rng.uniform(130, 190), rng.uniform(85, 130), rng.uniform(45, 80))
        let plank = rng.uniform(9, 18) * scale
        let n1 = ValueNoise(&rng)
        return { x, y in
            let row = Int(Float(y) / plank)
            if Float(y) - Float(row) * plank < 1.2 { return wood * 0.45 }
            let grain = n1.fbm(Float(x) * 0.12, Float(y) * 1.5, scale: 3, octaves: 3)
            return wood * (0.8 + 0.25 * n1.lattice(0, row) + 0.3 * (grain - 0.5))
        }
    }

    /// What fills the upper picture where there is no sky, or a far band
    /// below the sky: foliage, brick, a facade with windows, or a room wall.
    static func backdrop(indoor: Bool, scale: Float, rng: inout KeyedRandom) -> Texture {
        if indoor { return wall(scale: scale, rng: &rng) }
        switch rng.int(in: 0...3) {
        case 0: return foliage(scale: scale, rng: &rng)
        case 1: return brick(scale: scale, rng: &rng)
        case 2: return facade(scale: scale, rng: &rng)
        default: return foliage(scale: scale, rng: &rng)
        }
    }

    static func foliage(scale: Float, rng: inout KeyedRandom) -> Texture {
        let autumn = rng.nextUnitFloat() < 0.2
        let dark =
            autumn
            ? RGB(rng.uniform(70, 100), rng.uniform(40, 60), rng.uniform(15, 30))
            : RGB(rng.uniform(15, 40), rng.uniform(40, 75), rng.uniform(15, 35))
        let light =
            autumn
            ? RGB(rng.uniform(200, 235), rng.uniform(120, 160), rng.uniform(40, 70))
            : RGB(rng.uniform(90, 150), rng.uniform(140, 190), rng.uniform(50, 90))
        let leaves = ValueNoise(&rng)
        let size = rng.uniform(25, 60) * scale
        return { x, y in
            let n = leaves.fbm(Float(x), Float(y), scale: size, octaves: 5)
            let t = Textures.smoothstep(0.3, 0.75, n)
            return dark.mixed(light, t * t) * (0.85 + 0.3 * leaves.lattice(x / 2, y / 2))
        }
    }

    static func brick(scale: Float, rng: inout KeyedRandom) -> Texture {
        let bw = rng.uniform(22, 42) * scale
        let bh = bw * rng.uniform(0.3, 0.42)
        let mortarWidth = max(1, bh * 0.12)
        let brick = RGB(rng.uniform(130, 185), rng.uniform(55, 95), rng.uniform(40, 70))
        let mortar = RGB(rng.uniform(160, 200), rng.uniform(155, 190), rng.uniform(145, 180))
        let n1 = ValueNoise(&rng)
        return { x, y in
            let row = Int(Float(y) / bh)
            let fx = Float(x) + (row % 2 == 0 ? 0 : bw / 2)
            let col = Int(fx / bw)
            if fx - Float(col) * bw < mortarWidth || Float(y) - Float(row) * bh < mortarWidth {
                return mortar * (0.85 + 0.2 * n1.lattice(x, y))
            }
            let tone = 0.78 + 0.35 * n1.lattice(col, row + 1000)
            return brick * (tone + 0.2 * (n1.fbm(Float(x), Float(y), scale: 4, octaves: 2) - 0.5))
        }
    }

    static func facade(scale: Float, rng: inout KeyedRandom) -> Texture {
        let wall = RGB(rng.uniform(150, 220), rng.uniform(140, 210), rng.uniform(120, 200))
        let glass = RGB(rng.uniform(40, 80), rng.uniform(55, 90), rng.uniform(70, 110))
        let cellW = rng.uniform(40, 75) * scale
        let cellH = rng.uniform(45, 80) * scale
        let winW = cellW * rng.uniform(0.4, 0.65)
        let winH = cellH * rng.uniform(0.45, 0.7)
        let n1 = ValueNoise(&rng)
        return { x, y in
            let cx = Float(x).truncatingRemainder(dividingBy: cellW)
            let cy = Float(y).truncatingRemainder(dividingBy: cellH)
            let stain = 0.85 + 0.25 * n1.fbm(Float(x), Float(y), scale: 50 * scale, octaves: 3)
            if cx > (cellW - winW) / 2, cx < (cellW + winW) / 2, cy > (cellH - winH) / 2, cy < (cellH + winH) / 2 {
                let frame = cx < (cellW - winW) / 2 + 2 || cx > (cellW + winW) / 2 - 2 || cy < (cellH - winH) / 2 + 2
                let pane = n1.lattice(Int(Float(x) / cellW), Int(Float(y) / cellH) + 500)
                return frame ? RGB(225, 225, 220) : glass.mixed(RGB(200, 200, 170), pane > 0.8 ? 0.6 : 0.05)
            }
            return wall * stain
        }
    }

    static func wall(scale: Float, rng: inout KeyedRandom) -> Texture {
        let paint = RGB(rng.uniform(170, 235), rng.uniform(160, 225), rng.uniform(140, 215))
        let n1 = ValueNoise(&rng)
        let light = rng.uniform(-0.25, 0.25)
        return { x, y in
            let side = 1 + light * (Float(x) / (300 * scale) - 0.5)
            return paint * (side * (0.92 + 0.12 * n1.fbm(Float(x), Float(y), scale: 60 * scale, octaves: 3)))
        }
    }

    /// Far hills, a treeline or a town skyline under the sky, with the top
    /// edge (per column) that it cuts into the sky.
    static func skyline(top: Float, bottom: Float, width: Int, scale: Float, rng: inout KeyedRandom) -> (
        Texture, [Float]
    ) {
        let n1 = ValueNoise(&rng)
        let band = bottom - top
        var edge = [Float](repeating: top, count: width)
        let texture: Texture
        switch rng.int(in: 0...2) {
        case 0:  // hills: hazy and smooth
            let haze = RGB(rng.uniform(90, 140), rng.uniform(120, 160), rng.uniform(120, 170))
            for x in 0..<width { edge[x] = top - band * 1.2 * n1.fbm(Float(x), 0, scale: 120 * scale, octaves: 3) }
            texture = { x, y in haze * (0.85 + 0.2 * n1.fbm(Float(x), Float(y), scale: 30 * scale, octaves: 3)) }
        case 1:  // treeline: dark and bumpy
            texture = foliage(scale: scale * 0.6, rng: &rng)
            for x in 0..<width { edge[x] = top - band * 1.4 * n1.fbm(Float(x), 7, scale: 18 * scale, octaves: 3) }
        default:  // town: blocks of different heights
            texture = facade(scale: scale * 0.45, rng: &rng)
            var x = 0
            while x < width {
                let w = Int(rng.uniform(20, 70) * scale) + 1
                let h = top - band * rng.uniform(0, 1.6)
                for xx in x..<min(width, x + w) { edge[xx] = h }
                x += w
            }
        }
        return (texture, edge)
    }
}
