import Support

/// The background of a hard scene: horizontal bands from top to bottom
/// (sky, far backdrop, ground, rails, water), planned from the contexts the
/// scene needs and painted with the textures. Rails, water and sky are the
/// context regions that `eval --context-dir` scores.
struct HardBackground {
    enum Kind { case sky, backdrop, ground, rails, water }

    struct Band {
        let kind: Kind
        var top: Float
        var bottom: Float
        var height: Float { bottom - top }
    }

    /// What the scene's objects need below them.
    struct Needs {
        var sky = false
        var airborneRoom = false  // an aeroplane or a flying bird must fit in the sky
        var rails = false
        var water = false
        var ground = false  // something stands on the ground
        var outdoorOnly = false  // a cow: never in a room
    }

    /// Context codes of the regions (the order of `HardScene.contextNames`).
    static func contextCode(_ kind: Kind) -> UInt8 {
        switch kind {
        case .rails: return 1
        case .water: return 2
        case .sky: return 3
        default: return 0
        }
    }

    var bands: [Band]
    var indoor: Bool
    /// Canvas y where train wheels stand, when there are rails.
    var railLine: Float?

    func bands(_ kind: Kind) -> [Band] { bands.filter { $0.kind == kind } }

    /// Bands for a picture of height h.
    static func plan(height h: Float, needs: Needs, rng: inout KeyedRandom) -> HardBackground {
        var bands: [Band] = []
        var y: Float = 0
        let onlyAirborne = needs.airborneRoom && !needs.rails && !needs.water && !needs.ground
        if onlyAirborne && rng.nextUnitFloat() < 0.35 {
            return HardBackground(bands: [Band(kind: .sky, top: 0, bottom: h)], indoor: false)
        }
        let indoor = !needs.sky && !needs.rails && !needs.water && !needs.outdoorOnly && rng.nextUnitFloat() < 0.2
        if needs.sky {
            y = h * (needs.airborneRoom ? rng.uniform(0.5, 0.72) : rng.uniform(0.22, 0.45))
            bands.append(Band(kind: .sky, top: 0, bottom: y))
            if rng.nextUnitFloat() < 0.6 {
                let far = h * rng.uniform(0.03, 0.1)
                bands.append(Band(kind: .backdrop, top: y, bottom: y + far))
                y += far
            }
        } else {
            y = h * rng.uniform(0.3, 0.6)
            bands.append(Band(kind: .backdrop, top: 0, bottom: y))
        }
        let rest = h - y
        let railHeight = h * rng.uniform(0.05, 0.09)
        func add(_ kind: Kind, _ height: Float) {
            guard height >= 1 else { return }
            bands.append(Band(kind: kind, top: y, bottom: min(h, y + height)))
            y = min(h, y + height)
        }
        switch (needs.rails, needs.water) {
        case (false, false):
            add(.ground, rest)
        case (true, false):
            add(.ground, (rest - railHeight) * rng.uniform(0.1, 0.75))
            add(.rails, railHeight)
            add(.ground, h - y)
        case (false, true):
            let shore = needs.ground ? rest * rng.uniform(0.15, 0.3) : (rng.nextUnitFloat() < 0.4 ? rest * 0.12 : 0)
            add(.ground, rng.nextUnitFloat() < 0.5 ? rest * rng.uniform(0.02, 0.12) : 0)
            add(.water, h - y - shore)
            add(.ground, h - y)
        case (true, true):
            let shore = needs.ground ? rest * rng.uniform(0.12, 0.22) : rest * 0.05
            if rng.nextUnitFloat() < 0.5 {
                add(.ground, rest * rng.uniform(0.02, 0.1))
                add(.rails, railHeight)
                add(.ground, rest * rng.uniform(0.02, 0.06))
                add(.water, h - y - shore)
            } else {
                add(.water, (rest - railHeight - shore) * rng.uniform(0.4, 0.7))
                add(.ground, rest * rng.uniform(0.02, 0.06))
                add(.rails, railHeight)
            }
            add(.ground, h - y)
        }
        return HardBackground(bands: bands, indoor: indoor)
    }

    /// Paints every band; returns the context code of each pixel.
    mutating func paint(on canvas: inout Canvas, scale: Float, rng: inout KeyedRandom) -> [UInt8] {
        let w = canvas.width
        let h = canvas.height
        var context = [UInt8](repeating: 0, count: w * h)
        let raster = Raster(width: w, height: h)
        var ground: Texture?
        for band in bands {
            let texture: Texture
            switch band.kind {
            case .sky:
                texture = Textures.sky(top: band.top, bottom: band.bottom, scale: scale, rng: &rng)
            case .water:
                texture = Textures.water(top: band.top, bottom: band.bottom, scale: scale, rng: &rng)
            case .rails:
                let (t, line) = Textures.rails(top: band.top, bottom: band.bottom, scale: scale, rng: &rng)
                texture = t
                railLine = line
            case .ground:
                // One ground texture per picture: both sides of the rails look alike.
                let shared =
                    ground ?? Textures.ground(top: band.top, bottom: Float(h), indoor: indoor, scale: scale, rng: &rng)
                ground = shared
                texture = shared
            case .backdrop:
                if band.top > 0 {
                    let (t, edge) = Textures.skyline(
                        top: band.top, bottom: band.bottom, width: w, scale: scale, rng: &rng)
                    paintSkyline(edge, below: band.top, texture: t, on: &canvas, context: &context)
                    texture = t
                } else {
                    texture = Textures.backdrop(indoor: indoor, scale: scale, rng: &rng)  // the one band at the top
                }
            }
            let region = raster.rect(0, band.top, Float(w), band.bottom)
            canvas.fill(region, texture)
            let code = HardBackground.contextCode(band.kind)
            region.forEachPixel { x, y in context[y * w + x] = code }
        }
        return context
    }

    /// The part of a far band that rises into the sky above `below`.
    func paintSkyline(
        _ edge: [Float], below top: Float, texture: Texture, on canvas: inout Canvas, context: inout [UInt8]
    ) {
        let w = canvas.width
        for x in 0..<w {
            var y = max(0, Int(edge[x].rounded()))
            while Float(y) + 0.5 < top, y < canvas.height {
                let c = texture(x, y)
                let i = (y * w + x) * 3
                canvas.rgb[i] = c.r
                canvas.rgb[i + 1] = c.g
                canvas.rgb[i + 2] = c.b
                context[y * w + x] = 0
                y += 1
            }
        }
    }
}
