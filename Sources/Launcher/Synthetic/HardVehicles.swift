import Foundation
import Support

/// Side views of aeroplanes, boats, cars and trains in object-local units
/// (base at v = 0, height 1, front towards +u); each picks a variant and a
/// livery, so instances of a class differ in colour and proportions.
enum HardVehicles {
    /// A jetliner or a propeller plane: fuselage, swept or straight wings,
    /// tail fin, engines, windows and a livery.
    static func aeroplane(_ f: Frame, _ rng: inout KeyedRandom) -> [Part] {
        let jet = rng.nextUnitFloat() < 0.7
        let white = RGB(232, 234, 238)
        let body = rng.nextUnitFloat() < 0.75 ? Palette.jitter(white, 8, &rng) : Palette.vivid(&rng)
        let tailPaint = rng.nextUnitFloat() < 0.8 ? Palette.vivid(&rng) : body
        let stripe = rng.nextUnitFloat() < 0.5 ? Palette.vivid(&rng) : nil
        let nose: Float = jet ? 1.5 : 1.1
        let tailEnd: Float = jet ? -1.6 : -1.15
        var parts: [Part] = []
        // The far wing is behind the fuselage, in its shadow.
        let farWing =
            jet
            ? f.polygon([(0.25, 0.42), (-0.1, 0.44), (-0.5, 0.66), (-0.4, 0.66)])
            : f.polygon([(0.25, 0.42), (0, 0.42), (-0.02, 0.62), (0.15, 0.62)])
        parts.append(Part(shape: farWing, texture: HardObjects.paint(f, body * 0.75, 0.7, 0.4, &rng)))
        let fuselage = Shape.union(
            [
                f.capsule((tailEnd + 0.35, 0.4), (nose - 0.3, 0.35), 0.1, 0.125),
                f.ellipse(nose - 0.3, 0.345, 0.3, 0.118),
                f.polygon([(tailEnd + 0.36, 0.3), (tailEnd + 0.36, 0.5), (tailEnd, 0.48), (tailEnd + 0.02, 0.43)]),
            ], canvas: f.raster.size)
        let bodyPaint = HardObjects.paint(f, body, 0.5, 0.22, &rng, grain: 0.04)
        let stripeY = rng.uniform(0.3, 0.34)
        parts.append(
            Part(shape: fuselage) { x, y in
                if let stripe, abs(f.local(x, y).1 - stripeY) < 0.018 { return stripe }
                return bodyPaint(x, y)
            })
        let fin =
            jet
            ? f.polygon([(tailEnd + 0.55, 0.45), (tailEnd + 0.25, 1.0), (tailEnd + 0.03, 1.0), (tailEnd + 0.08, 0.45)])
            : f.polygon([(tailEnd + 0.4, 0.45), (tailEnd + 0.15, 0.85), (tailEnd + 0.02, 0.85), (tailEnd + 0.05, 0.45)])
        parts.append(Part(shape: fin, texture: HardObjects.paint(f, tailPaint, 1, 0.45, &rng)))
        let stabiliser = f.polygon([
            (tailEnd + 0.4, 0.42), (tailEnd, 0.45), (tailEnd - 0.04, 0.39), (tailEnd + 0.3, 0.38),
        ])
        parts.append(Part(shape: stabiliser, texture: HardObjects.paint(f, body * 0.85, 0.45, 0.38, &rng)))
        let nearWing =
            jet
            ? f.polygon([(0.4, 0.28), (-0.2, 0.28), (-0.7, 0.02), (-0.52, 0.02)])
            : f.polygon([(0.3, 0.3), (-0.05, 0.3), (-0.12, 0.0), (0.16, 0.0)])
        parts.append(Part(shape: nearWing, texture: HardObjects.paint(f, body * 0.92, 0.3, 0.0, &rng)))
        if jet {
            let engine = f.ellipse(0.12, 0.17, 0.2, 0.065)
            parts.append(Part(shape: engine, texture: HardObjects.paint(f, RGB(175, 178, 185), 0.24, 0.1, &rng)))
            parts.append(Part(shape: f.ellipse(0.3, 0.17, 0.025, 0.055), texture: Surface.solid(RGB(45, 45, 50))))
        } else {
            parts.append(
                Part(shape: f.ellipse(nose + 0.02, 0.37, 0.025, 0.28), texture: Surface.solid(RGB(150, 150, 150))))
        }
        let glass = RGB(40, 50, 70)
        if f.size > 40 {
            var u: Float = tailEnd + 0.65
            while u < nose - 0.4 {
                parts.append(Part(shape: f.ellipse(u, 0.395, 0.022, 0.028), texture: Surface.solid(glass)))
                u += jet ? 0.1 : 0.16
            }
        }
        let cockpit = f.polygon([(nose - 0.22, 0.38), (nose - 0.06, 0.37), (nose - 0.12, 0.42), (nose - 0.24, 0.43)])
        parts.append(Part(shape: cockpit, texture: Surface.solid(glass)))
        return parts
    }

    /// A sailing boat (hull, cabin, mast and two sails) or a motor boat
    /// (long hull, superstructure with windows), floating at v = 0.
    static func boat(_ f: Frame, _ rng: inout KeyedRandom) -> [Part] {
        var parts: [Part] = []
        let hullColor = rng.nextUnitFloat() < 0.5 ? Palette.jitter(RGB(235, 235, 235), 8, &rng) : Palette.vivid(&rng)
        let stripe = Palette.vivid(&rng)
        if rng.nextUnitFloat() < 0.5 {
            let hull = f.polygon([(-0.45, 0), (0.4, 0), (0.62, 0.18), (-0.5, 0.16)])
            let hullPaint = HardObjects.paint(f, hullColor, 0.18, 0, &rng)
            parts.append(
                Part(shape: hull) { x, y in
                    let v = f.local(x, y).1
                    return v > 0.11 && v < 0.14 ? stripe : hullPaint(x, y)
                })
            parts.append(
                Part(
                    shape: f.rect(-0.25, 0.15, 0.12, 0.25),
                    texture: HardObjects.paint(f, RGB(230, 228, 220), 0.25, 0.15, &rng)))
            parts.append(Part(shape: f.rect(-0.2, 0.19, 0.07, 0.22), texture: Surface.solid(RGB(50, 60, 75))))
            parts.append(
                Part(shape: f.capsule((0, 0.15), (0, 1.0), 0.012, 0.008), texture: Surface.solid(RGB(200, 200, 205))))
            let cloth = rng.nextUnitFloat() < 0.8 ? Palette.jitter(RGB(240, 238, 228), 6, &rng) : Palette.vivid(&rng)
            let seams = rng.uniform(0.07, 0.12)
            let sailPaint: Texture = { x, y in
                let (u, v) = f.local(x, y)
                let seam = v.truncatingRemainder(dividingBy: seams) < 0.008
                return cloth * ((seam ? 0.85 : 1) * (0.85 + 0.15 * min(1, max(0, -u * 2 + 0.2))))
            }
            parts.append(Part(shape: f.polygon([(-0.02, 0.28), (-0.02, 0.97), (-0.44, 0.28)]), texture: sailPaint))
            parts.append(Part(shape: f.polygon([(0.03, 0.9), (0.56, 0.21), (0.03, 0.23)]), texture: sailPaint))
            return parts
        }
        let hull = f.polygon([(-1.0, 0), (0.85, 0), (1.2, 0.45), (-1.05, 0.42)])
        let hullPaint = HardObjects.paint(f, hullColor, 0.45, 0, &rng)
        parts.append(
            Part(shape: hull) { x, y in
                let v = f.local(x, y).1
                return v > 0.3 && v < 0.36 ? stripe : hullPaint(x, y)
            })
        let top = hullColor.r + hullColor.g + hullColor.b > 600 ? Palette.vivid(&rng) : RGB(236, 236, 232)
        parts.append(
            Part(
                shape: f.polygon([(-0.75, 0.42), (0.4, 0.42), (0.22, 0.75), (-0.7, 0.75)]),
                texture: HardObjects.paint(f, top, 0.75, 0.42, &rng)))
        parts.append(Part(shape: f.rect(-0.55, 0.75, 0.02, 0.97), texture: HardObjects.paint(f, top, 1, 0.75, &rng)))
        let glass = HardObjects.glass(f, &rng)
        var u: Float = -0.65
        while u < 0.15 {
            parts.append(Part(shape: f.rect(u, 0.54, u + 0.12, 0.66), texture: glass))
            u += 0.18
        }
        parts.append(Part(shape: f.polygon([(-0.5, 0.82), (0.0, 0.82), (-0.05, 0.93), (-0.5, 0.93)]), texture: glass))
        return parts
    }

    /// A saloon or hatchback: body, cabin glass, pillar, wheels with rims,
    /// lights and bumpers.
    static func car(_ f: Frame, _ rng: inout KeyedRandom) -> [Part] {
        let half = rng.uniform(1.1, 1.4)
        let hatch = rng.nextUnitFloat() < 0.4
        let paintColor = Palette.vivid(&rng)
        var parts: [Part] = []
        let rearTop: (Float, Float) = hatch ? (-half * 0.82, 0.96) : (-half * 0.5, 0.98)
        let rearBase: (Float, Float) = hatch ? (-half * 0.97, 0.64) : (-half * 0.78, 0.62)
        let body = f.polygon([
            (-half - 0.02, 0.16), (half + 0.02, 0.16), (half + 0.04, 0.32), (half, 0.5), (half - 0.15, 0.57),
            (half * 0.35, 0.61), (half * 0.05, 0.97), rearTop, rearBase, (-half, 0.58), (-half - 0.03, 0.35),
        ])
        let shade = HardObjects.paint(f, paintColor, 1, 0.16, &rng, grain: 0.04)
        parts.append(
            Part(shape: body) { x, y in
                let v = f.local(x, y).1
                return abs(v - 0.5) < 0.025 ? shade(x, y).mixed(RGB(255, 255, 255), 0.3) : shade(x, y)
            })
        let glass = HardObjects.glass(f, &rng)
        let window = f.polygon([
            (half * 0.3, 0.63), (half * 0.06, 0.92), (rearTop.0 + 0.05, 0.93), (rearBase.0 + 0.08, 0.64),
        ])
        parts.append(Part(shape: window, texture: glass))
        parts.append(Part(shape: f.rect(-half * 0.2, 0.62, -half * 0.2 + 0.06, 0.95), texture: shade))
        parts.append(
            Part(shape: f.rect(-half * 0.2, 0.22, -half * 0.2 + 0.012, 0.6), texture: Surface.solid(paintColor * 0.5)))
        parts.append(
            Part(shape: f.rect(-half - 0.03, 0.15, half + 0.04, 0.24), texture: Surface.solid(RGB(45, 45, 48))))
        parts.append(Part(shape: f.ellipse(half - 0.05, 0.44, 0.06, 0.04), texture: Surface.solid(RGB(245, 240, 210))))
        parts.append(Part(shape: f.ellipse(-half + 0.03, 0.46, 0.035, 0.05), texture: Surface.solid(RGB(200, 30, 30))))
        for wheelU in [-half + 0.45, half - 0.45] {
            parts.append(Part(shape: f.ellipse(wheelU, 0.22, 0.27, 0.25), texture: Surface.solid(RGB(28, 28, 30))))
            parts.append(Part(shape: f.ellipse(wheelU, 0.2, 0.2, 0.2), texture: Surface.solid(RGB(22, 22, 24))))
            parts.append(
                Part(
                    shape: f.ellipse(wheelU, 0.2, 0.11, 0.11),
                    texture: HardObjects.paint(f, RGB(185, 188, 192), 0.31, 0.09, &rng)))
            parts.append(Part(shape: f.ellipse(wheelU, 0.2, 0.03, 0.03), texture: Surface.solid(RGB(60, 60, 62))))
        }
        return parts
    }

    /// A multiple unit or a high-speed train: cars with windows and doors,
    /// a livery stripe, roof, bogies, a windscreen at the front (u = 0) and
    /// the body running back `length` units (often out of the picture).
    static func train(_ f: Frame, _ rng: inout KeyedRandom) -> [Part] {
        let length = rng.uniform(3, 9)
        let streamlined = rng.nextUnitFloat() < 0.4
        let paintColor = Palette.vivid(&rng)
        var stripeColor = Palette.vivid(&rng)
        if abs(stripeColor.r - paintColor.r) + abs(stripeColor.g - paintColor.g) < 60 {
            stripeColor = RGB(240, 240, 240)
        }
        let roof = RGB(rng.uniform(110, 160), rng.uniform(110, 160), rng.uniform(115, 165))
        var parts: [Part] = []
        parts.append(Part(shape: f.rect(-length, 0.02, -0.15, 0.16), texture: Surface.solid(RGB(40, 40, 42))))
        let carLength = rng.uniform(2.2, 3.2)
        var bogie: Float = -0.55
        while bogie > -length {
            for du: Float in [0, -0.35] {
                parts.append(
                    Part(shape: f.ellipse(bogie + du, 0.08, 0.075, 0.075), texture: Surface.solid(RGB(25, 25, 27))))
                parts.append(
                    Part(shape: f.ellipse(bogie + du, 0.08, 0.03, 0.03), texture: Surface.solid(RGB(110, 110, 110))))
            }
            bogie -= carLength / 2
        }
        let nose: [(Float, Float)] =
            streamlined
            ? [(0.35, 0.14), (0.55, 0.24), (0.42, 0.42), (-0.35, 0.86)] : [(0, 0.14), (0.03, 0.6), (-0.1, 0.9)]
        let outline = [(-length, 0.14)] + nose + [(-length, 0.9)]
        let shade = HardObjects.paint(f, paintColor, 0.95, 0.14, &rng, grain: 0.05)
        let stripeLow = rng.uniform(0.25, 0.35)
        parts.append(
            Part(shape: f.polygon(outline)) { x, y in
                let v = f.local(x, y).1
                if v > stripeLow && v < stripeLow + 0.07 { return stripeColor }
                return v > 0.86 ? roof : shade(x, y)
            })
        let glass = HardObjects.glass(f, &rng)
        let windscreen =
            streamlined
            ? f.polygon([(0.3, 0.44), (-0.3, 0.82), (-0.55, 0.82), (-0.5, 0.55), (0.0, 0.5)])
            : f.polygon([(0.02, 0.58), (-0.08, 0.84), (-0.45, 0.84), (-0.45, 0.58)])
        parts.append(Part(shape: windscreen, texture: glass))
        var u: Float = streamlined ? -0.9 : -0.75
        while u > -length + 0.1 {
            let carPos = (-u).truncatingRemainder(dividingBy: carLength)
            if carPos < 0.35 || carPos > carLength - 0.4 {  // a door at each car end
                parts.append(Part(shape: f.rect(u - 0.22, 0.17, u, 0.8), texture: Surface.solid(paintColor * 0.8)))
                parts.append(Part(shape: f.rect(u - 0.17, 0.5, u - 0.05, 0.74), texture: glass))
            } else {
                parts.append(Part(shape: f.rect(u - 0.24, 0.5, u, 0.74), texture: glass))
            }
            u -= 0.34
        }
        parts.append(
            Part(
                shape: f.ellipse(streamlined ? 0.45 : 0.0, 0.24, 0.035, 0.03),
                texture: Surface.solid(RGB(250, 245, 200))))
        if rng.nextUnitFloat() < 0.4 {
            let pu = -rng.uniform(1, 2.5)
            let pantograph = Shape.union(
                [
                    f.capsule((pu, 0.9), (pu + 0.15, 1.05), 0.008, 0.008),
                    f.capsule((pu + 0.15, 1.05), (pu - 0.1, 1.12), 0.008, 0.008),
                    f.capsule((pu - 0.2, 1.12), (pu + 0.1, 1.12), 0.01, 0.01),
                ], canvas: f.raster.size)
            parts.append(Part(shape: pantograph, texture: Surface.solid(RGB(50, 50, 55))))
        }
        return parts
    }
}
