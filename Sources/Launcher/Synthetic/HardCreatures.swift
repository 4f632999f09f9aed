import Foundation
import Support

/// Birds, cows and people in object-local units (feet at v = 0, height 1,
/// facing +u); coats, plumage and clothes vary per instance, and the
/// patterns are painted in local coordinates so they move with the body.
enum HardCreatures {
    /// Plumage of a few kinds of birds: body, breast, wing, beak.
    static func plumage(_ rng: inout KeyedRandom) -> (RGB, RGB, RGB, RGB) {
        let kinds: [(RGB, RGB, RGB, RGB)] = [
            (RGB(120, 80, 50), RGB(225, 120, 50), RGB(85, 60, 40), RGB(40, 35, 30)),  // robin
            (RGB(140, 105, 70), RGB(215, 195, 160), RGB(90, 65, 45), RGB(60, 50, 40)),  // sparrow
            (RGB(238, 238, 236), RGB(245, 245, 245), RGB(150, 155, 165), RGB(235, 190, 40)),  // gull
            (RGB(30, 30, 35), RGB(40, 40, 45), RGB(20, 20, 25), RGB(30, 30, 30)),  // crow
            (RGB(60, 110, 190), RGB(235, 210, 70), RGB(50, 80, 140), RGB(40, 40, 40)),  // tit
            (RGB(140, 140, 150), RGB(170, 150, 160), RGB(110, 110, 120), RGB(60, 55, 55)),  // pigeon
            (RGB(60, 150, 60), RGB(220, 60, 40), RGB(40, 100, 160), RGB(230, 200, 60)),  // parrot
        ]
        let k = kinds[rng.int(in: 0...(kinds.count - 1))]
        return (Palette.jitter(k.0, 8, &rng), Palette.jitter(k.1, 8, &rng), Palette.jitter(k.2, 8, &rng), k.3)
    }

    /// Feathers: fine streaks along the body.
    static func feathers(_ f: Frame, _ color: RGB, _ rng: inout KeyedRandom) -> Texture {
        let n1 = ValueNoise(&rng)
        let top = f.y(1)
        let bottom = f.y(0)
        return { x, y in
            let (u, v) = f.local(x, y)
            let streak = n1.at(u * 6, v * 30) - 0.5
            let t = min(1, max(0, (Float(y) - top) / max(bottom - top, 1)))
            return color * ((1.12 - 0.3 * t) * (1 + 0.35 * streak))
        }
    }

    static func perchedBird(_ f: Frame, _ rng: inout KeyedRandom) -> [Part] {
        let (body, breast, wing, beak) = plumage(&rng)
        let bodyPaint = feathers(f, body, &rng)
        let breastPaint = feathers(f, breast, &rng)
        let tilt = rng.uniform(0.2, 0.5)
        var parts: [Part] = []
        let legs = Shape.union(
            [f.capsule((0.02, 0.32), (0.0, 0.0), 0.018, 0.014), f.capsule((0.1, 0.32), (0.13, 0.0), 0.018, 0.014)],
            canvas: f.raster.size)
        parts.append(Part(shape: legs, texture: Surface.solid(RGB(70, 55, 45))))
        parts.append(
            Part(
                shape: f.polygon([(-0.22, 0.42), (-0.65, 0.2), (-0.58, 0.13), (-0.18, 0.33)]),
                texture: Surface.solid(wing * 0.9)))
        parts.append(
            Part(shape: f.ellipse(0, 0.5, 0.37, 0.22, angle: tilt)) { x, y in
                let (u, v) = f.local(x, y)
                return v < 0.5 + u * 0.6 && u > -0.1 ? breastPaint(x, y) : bodyPaint(x, y)
            })
        parts.append(
            Part(shape: f.ellipse(-0.05, 0.53, 0.3, 0.13, angle: tilt + 0.05), texture: feathers(f, wing, &rng)))
        parts.append(Part(shape: f.ellipse(0.3, 0.8, 0.16, 0.15), texture: bodyPaint))
        let beakLength = rng.uniform(0.12, 0.24)
        parts.append(
            Part(
                shape: f.polygon([(0.42, 0.84), (0.42 + beakLength, 0.78), (0.42, 0.74)]), texture: Surface.solid(beak))
        )
        parts.append(Part(shape: f.ellipse(0.36, 0.83, 0.03, 0.03), texture: Surface.solid(RGB(15, 15, 15))))
        return parts
    }

    /// A bird in flight seen from the side: plump body, round head, fanned
    /// tail and both wings raised in a V (or lowered), the near one large.
    static func flyingBird(_ f: Frame, _ rng: inout KeyedRandom) -> [Part] {
        let (body, breast, wing, beak) = plumage(&rng)
        let bodyPaint = feathers(f, body, &rng)
        let wingPaint = feathers(f, wing, &rng)
        // Wings up: the body at the bottom of the frame; wings down: mirrored.
        let up = rng.nextUnitFloat() < 0.6
        func m(_ points: [(Float, Float)]) -> [(Float, Float)] { up ? points : points.map { ($0.0, 1 - $0.1) } }
        func mv(_ v: Float) -> Float { up ? v : 1 - v }
        let tips = wing * 0.55
        let tipPaint: Texture = { x, y in
            let v = f.local(x, y).1
            return (up ? v > 0.82 : v < 0.18) ? tips : wingPaint(x, y)
        }
        var parts: [Part] = []
        let far = m([(0.1, 0.3), (-0.08, 0.32), (0.0, 0.7), (0.12, 0.98), (0.2, 0.95), (0.16, 0.6)])
        parts.append(Part(shape: f.polygon(far)) { x, y in tipPaint(x, y) * 0.75 })
        parts.append(
            Part(shape: f.polygon(m([(-0.25, 0.25), (-0.6, 0.33), (-0.62, 0.13), (-0.25, 0.16)])), texture: wingPaint))
        parts.append(
            Part(shape: f.ellipse(0, mv(0.22), 0.32, 0.14, angle: up ? 0.1 : -0.1)) { x, y in
                (f.local(x, y).1 < mv(0.2)) == up ? breast : bodyPaint(x, y)
            })
        parts.append(Part(shape: f.ellipse(0.32, mv(0.28), 0.11, 0.1), texture: bodyPaint))
        parts.append(
            Part(shape: f.polygon(m([(0.41, 0.31), (0.55, 0.26), (0.41, 0.23)])), texture: Surface.solid(beak)))
        parts.append(Part(shape: f.ellipse(0.35, mv(0.3), 0.022, 0.022), texture: Surface.solid(RGB(15, 15, 15))))
        let near = m([
            (0.14, 0.26), (-0.18, 0.26), (-0.4, 0.55), (-0.62, 1.0), (-0.52, 0.97), (-0.45, 0.9), (-0.36, 0.93),
            (-0.05, 0.6),
        ])
        parts.append(Part(shape: f.polygon(near), texture: tipPaint))
        return parts
    }

    /// A cow: a deep barrel-shaped body with shoulders and hips, four legs
    /// with hooves, a long head (grazing or raised) with ears and maybe
    /// horns, tail with a tuft, sometimes an udder; Holstein patches,
    /// brown, black, patched brown or fawn coats.
    static func cow(_ f: Frame, _ rng: inout KeyedRandom) -> [Part] {
        let coats: [(RGB, RGB?)] = [
            (RGB(238, 236, 230), RGB(30, 28, 28)), (RGB(140, 80, 45), nil), (RGB(35, 32, 30), nil),
            (RGB(150, 90, 50), RGB(240, 236, 228)), (RGB(190, 160, 120), nil),
        ]
        let coat = coats[rng.int(in: 0...(coats.count - 1))]
        let base = Palette.jitter(coat.0, 8, &rng)
        let patches = ValueNoise(&rng)
        let patchSize = rng.uniform(2.5, 4.5)
        let shade = HardObjects.paint(f, base, 0.9, 0.0, &rng, grain: 0.06)
        let patchShade = coat.1.map { HardObjects.paint(f, $0, 0.9, 0.0, &rng, grain: 0.06) }
        let hide: Texture = { x, y in
            guard let patchShade else { return shade(x, y) }
            let (u, v) = f.local(x, y)
            return patches.fbm(u * patchSize, v * patchSize, scale: 1, octaves: 3) > 0.52
                ? patchShade(x, y) : shade(x, y)
        }
        let farHide: Texture = { x, y in hide(x, y) * 0.75 }
        let hoof = Surface.solid(RGB(35, 30, 28))
        var parts: [Part] = []
        // Legs: upper and lower segments, the far pair darker and a little apart from the near pair.
        func leg(_ u: Float, _ lean: Float, _ width: Float, _ texture: @escaping Texture) {
            let knee = (u + lean * 0.5, Float(0.24))
            let shape = Shape.union(
                [
                    f.capsule((u, 0.52), knee, width, width * 0.7),
                    f.capsule(knee, (u + lean, 0.04), width * 0.7, width * 0.6),
                ],
                canvas: f.raster.size)
            parts.append(Part(shape: shape, texture: texture))
            parts.append(Part(shape: f.rect(u + lean - width * 0.7, 0, u + lean + width * 0.7, 0.05), texture: hoof))
        }
        let stride = rng.uniform(-0.06, 0.06)
        leg(0.3, 0.02 + stride, 0.06, farHide)
        leg(-0.36, -0.02 - stride, 0.07, farHide)
        let body = Shape.union(
            [
                f.ellipse(0, 0.6, 0.52, 0.22), f.ellipse(0.34, 0.63, 0.26, 0.23), f.ellipse(-0.4, 0.66, 0.24, 0.21),
                f.ellipse(0.05, 0.5, 0.4, 0.14),
            ], canvas: f.raster.size)
        parts.append(Part(shape: body, texture: hide))
        leg(0.42, -0.02 - stride, 0.065, hide)
        leg(-0.48, 0.03 + stride, 0.075, hide)
        if rng.nextUnitFloat() < 0.5 {
            parts.append(Part(shape: f.ellipse(-0.22, 0.38, 0.1, 0.07), texture: Surface.solid(RGB(230, 170, 165))))
        }
        parts.append(Part(shape: f.capsule((-0.62, 0.78), (-0.7, 0.28), 0.02, 0.014), texture: shade))
        parts.append(Part(shape: f.ellipse(-0.7, 0.25, 0.035, 0.07), texture: Surface.solid(RGB(40, 35, 30))))
        let grazing = rng.nextUnitFloat() < 0.35
        let head: (Float, Float) = grazing ? (0.86, 0.24) : (0.9, 0.7)
        let angle: Float = grazing ? -1.35 : -1.0
        parts.append(
            Part(
                shape: f.polygon([
                    (0.45, 0.82), (0.5, 0.45), (head.0 + 0.04, head.1 - 0.02), (head.0 - 0.06, head.1 + 0.14),
                ]),
                texture: hide))
        let face = coat.1 != nil && rng.nextUnitFloat() < 0.5 ? Surface.solid(RGB(238, 234, 226)) : hide
        parts.append(Part(shape: f.ellipse(head.0, head.1, 0.22, 0.11, angle: angle), texture: face))
        let tip = (head.0 + 0.2 * cosf(angle), head.1 + 0.2 * sinf(angle))
        parts.append(
            Part(
                shape: f.ellipse(tip.0, tip.1, 0.075, 0.06),
                texture: Surface.solid(RGB(210, 160, 150) * rng.uniform(0.55, 1))))
        parts.append(Part(shape: f.ellipse(tip.0 + 0.03, tip.1, 0.015, 0.012), texture: Surface.solid(RGB(30, 25, 25))))
        let crown = (head.0 - 0.2 * cosf(angle), head.1 - 0.2 * sinf(angle))
        parts.append(Part(shape: f.ellipse(crown.0 - 0.06, crown.1 - 0.02, 0.1, 0.035, angle: -0.3), texture: farHide))
        if rng.nextUnitFloat() < 0.5 {
            parts.append(
                Part(
                    shape: f.capsule((crown.0, crown.1), (crown.0 + 0.06, crown.1 + 0.09), 0.02, 0.008),
                    texture: Surface.solid(RGB(225, 215, 190))))
        }
        parts.append(
            Part(shape: f.ellipse(head.0 + 0.02, head.1 + 0.03, 0.018, 0.018), texture: Surface.solid(RGB(20, 20, 20))))
        return parts
    }

    /// A standing or walking person: head with hair, torso, arms in one of
    /// a few poses, trousers or a skirt, shoes, sometimes a backpack.
    static func person(_ f: Frame, _ rng: inout KeyedRandom) -> [Part] {
        let skin = Palette.skin(&rng)
        let hair = Palette.hair(&rng)
        let shirt = Palette.vivid(&rng)
        let legsColor = rng.nextUnitFloat() < 0.5 ? Palette.jitter(RGB(40, 50, 90), 12, &rng) : Palette.vivid(&rng)
        let stripes = rng.nextUnitFloat() < 0.3 ? Palette.vivid(&rng) : nil
        let stride = rng.nextUnitFloat() < 0.5 ? rng.uniform(0.04, 0.1) : 0
        let skirt = rng.nextUnitFloat() < 0.2
        let shirtPaint = HardObjects.paint(f, shirt, 0.85, 0.5, &rng, grain: 0.12)
        let shirtTexture: Texture = { x, y in
            if let stripes, f.local(x, y).1.truncatingRemainder(dividingBy: 0.06) < 0.025 { return stripes }
            return shirtPaint(x, y)
        }
        let legPaint = HardObjects.paint(f, legsColor, 0.5, 0, &rng, grain: 0.1)
        var parts: [Part] = []
        if rng.nextUnitFloat() < 0.3 {
            parts.append(
                Part(
                    shape: f.rect(-0.19, 0.58, -0.08, 0.82),
                    texture: HardObjects.paint(f, Palette.vivid(&rng), 0.82, 0.58, &rng)))
        }
        // Far limbs first (darker), then the body, then near limbs.
        let far: Float = 0.8
        let legTop: Float = skirt ? 0.32 : 0.5
        let legRadius: Float = skirt ? 0.028 : 0.048
        let farLeg = Shape.union(
            [
                f.capsule((-0.04, legTop), (-0.04 - stride, 0.26), legRadius, legRadius * 0.9),
                f.capsule((-0.04 - stride, 0.26), (-0.05 - stride, 0.04), legRadius * 0.9, legRadius * 0.8),
            ],
            canvas: f.raster.size)
        let nearLeg = Shape.union(
            [
                f.capsule((0.04, legTop), (0.04 + stride, 0.26), legRadius, legRadius * 0.9),
                f.capsule((0.04 + stride, 0.26), (0.05 + stride * 1.5, 0.04), legRadius * 0.9, legRadius * 0.8),
            ],
            canvas: f.raster.size)
        let legTexture: Texture = skirt ? Surface.solid(skin) : legPaint
        parts.append(Part(shape: farLeg) { x, y in legTexture(x, y) * far })
        parts.append(
            Part(shape: f.ellipse(-0.02 - stride, 0.025, 0.06, 0.028), texture: Surface.solid(RGB(30, 28, 28))))
        parts.append(Part(shape: nearLeg, texture: legTexture))
        parts.append(
            Part(shape: f.ellipse(0.08 + stride * 1.5, 0.025, 0.06, 0.028), texture: Surface.solid(RGB(30, 28, 28))))
        if skirt {
            parts.append(
                Part(shape: f.polygon([(-0.1, 0.53), (0.1, 0.53), (0.16, 0.3), (-0.16, 0.3)]), texture: legPaint))
        }
        let pose = rng.int(in: 0...2)  // 0 arms down, 1 walking swing, 2 waving
        let swing: Float = pose == 1 ? rng.uniform(0.05, 0.12) : 0.02
        let farArm = f.capsule((-0.08, 0.82), (-0.1 - swing, 0.52), 0.035, 0.03)
        parts.append(Part(shape: farArm) { x, y in shirtTexture(x, y) * far })
        parts.append(
            Part(shape: f.polygon([(-0.12, 0.84), (0.12, 0.84), (0.1, 0.48), (-0.1, 0.48)]), texture: shirtTexture))
        parts.append(Part(shape: f.rect(-0.02, 0.82, 0.025, 0.87), texture: Surface.solid(skin)))
        let hand: (Float, Float) = pose == 2 ? (0.2, 1.02) : (0.1 + swing, 0.52)
        let elbow: (Float, Float) = pose == 2 ? (0.2, 0.82) : (0.11 + swing * 0.5, 0.66)
        let nearArm = Shape.union(
            [f.capsule((0.09, 0.82), elbow, 0.037, 0.033), f.capsule(elbow, hand, 0.033, 0.028)], canvas: f.raster.size)
        parts.append(Part(shape: nearArm, texture: shirtTexture))
        parts.append(Part(shape: f.ellipse(hand.0, hand.1, 0.03, 0.032), texture: Surface.solid(skin)))
        parts.append(
            Part(
                shape: f.ellipse(0.0, 0.93, 0.06, 0.07), texture: HardObjects.paint(f, skin, 1, 0.86, &rng, grain: 0.05)
            ))
        parts.append(Part(shape: f.ellipse(0.055, 0.925, 0.018, 0.014), texture: Surface.solid(skin * 0.95)))
        var hairShapes = [f.ellipse(-0.012, 0.96, 0.064, 0.045)]
        if rng.nextUnitFloat() < 0.35 { hairShapes.append(f.capsule((-0.04, 0.94), (-0.05, 0.8), 0.045, 0.04)) }
        parts.append(
            Part(
                shape: Shape.union(hairShapes, canvas: f.raster.size),
                texture: HardObjects.paint(f, hair, 1, 0.8, &rng, grain: 0.2)))
        return parts
    }
}
