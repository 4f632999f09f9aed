import Data
import Foundation
import Support

/// The hard synthetic scenes (`synth --difficulty hard`), an independent
/// benchmark closer to photographs than `SyntheticScene.make`: VOC-sized
/// pictures with textured, cluttered backgrounds; 1–3 objects of seven VOC
/// classes in varied sizes, colours and poses, overlapping one another;
/// rails under every train, water under every boat and sky behind every
/// aeroplane, but each of these also in pictures without its object; and a
/// saliency map with the faults of a real detector.
enum HardScene {
    /// Context codes of the hard scenes (`context/names.txt`).
    static let contextNames = ["none", "rails", "water", "sky"]

    /// One object as placed: its parts in its frame and where it stands.
    struct Placed {
        let name: String
        let flying: Bool
        let frame: Frame
        let parts: [Part]
        let mask: Shape
        var depth: Float  // later (larger) is nearer and drawn over the others
    }

    /// `scale` multiplies the VOC-like size (350–500 × 280–375 at 1).
    static func make(key: UInt64, scale: Double = 1) -> SyntheticScene {
        var rng = KeyedRandom(key: key)
        let s = Float(scale)
        let width = max(32, Int(Float(rng.int(in: 350...500)) * s))
        let height = max(32, Int(Float(rng.int(in: 280...375)) * s))
        var canvas = Canvas(width: width, height: height)

        let chosen = chooseObjects(&rng)
        var needs = HardBackground.Needs()
        for (name, flying) in chosen {
            switch HardObjects.footing(name, flying: flying) {
            case .sky:
                needs.sky = true
                needs.airborneRoom = true
            case .rails: needs.rails = true
            case .water: needs.water = true
            case .ground: needs.ground = true
            }
            if name == "cow" { needs.outdoorOnly = true }
        }
        // Each context now and then without its object: context is a cue, not a rule.
        if !needs.sky && rng.nextUnitFloat() < 0.07 { needs.sky = true }
        if !needs.rails && rng.nextUnitFloat() < 0.07 { needs.rails = true }
        if !needs.water && rng.nextUnitFloat() < 0.07 { needs.water = true }

        var background = HardBackground.plan(height: Float(height), needs: needs, rng: &rng)
        var context = background.paint(on: &canvas, scale: s, rng: &rng)
        var distractors = HardClutter.draw(on: &canvas, background: background, scale: s, rng: &rng)

        var placed: [Placed] = []
        for (name, flying) in chosen {
            placed.append(place(name, flying: flying, among: placed, background: background, canvas: canvas, rng: &rng))
        }
        placed = placed.enumerated().sorted { a, b in
            a.element.depth != b.element.depth ? a.element.depth < b.element.depth : a.offset < b.offset
        }.map(\.element)
        let occluder = rng.nextUnitFloat() < 0.12 ? foregroundOccluder(placed, canvas: canvas, rng: &rng) : nil
        var labels = labelMap(placed, occluder: occluder?.shape, width: width, height: height)
        // An object hidden behind others is no longer in the picture.
        while let hidden = mostlyHidden(placed, labels: labels, scale: s) {
            placed.remove(at: hidden)
            labels = labelMap(placed, occluder: occluder?.shape, width: width, height: height)
        }

        for object in placed where !object.flying && object.name != "boat" && object.name != "aeroplane" {
            paintShadow(of: object, on: &canvas, rng: &rng)
        }
        for (k, object) in placed.enumerated() {
            for part in object.parts { canvas.fill(part.shape, part.texture) }
            if object.name == "boat" {
                paintReflection(of: object, instance: k + 1, labels: labels, context: context, on: &canvas)
            }
        }
        if let occluder {
            canvas.fill(occluder.shape, occluder.texture)
            distractors.append(occluder.shape)
        }
        PhotoFinish.apply(&canvas, scale: s, rng: &rng)

        for shape in distractors { shape.forEachPixel { x, y in context[y * width + x] = 0 } }
        for i in labels.indices where labels[i] > 0 { context[i] = 0 }
        let boxes = placed.indices.map { boundingBox(of: $0 + 1, labels, width: width, height: height) }
        let saliency = HardSaliency.make(
            HardSaliency.Scene(
                width: width, height: height, labels: labels,
                instances: zip(placed, boxes).map { ($0.name, $1) }, distractors: distractors, context: context),
            scale: s, rng: &rng)
        let classIndices = placed.map { ClassNames.voc.firstIndex(of: $0.name)! }
        return SyntheticScene(
            image: canvas.image(),
            groundTruth: Image8(
                width: width, height: height, channels: 1,
                pixels: groundTruth(labels, classIndices: classIndices, width: width, height: height)),
            saliency: saliency,
            context: Image8(width: width, height: height, channels: 1, pixels: context),
            objects: zip(classIndices, boxes).map { ($0, $1) })
    }

    /// 1 object (50 %), 2 (35 %) or 3 (15 %); a class repeats only for
    /// things that come in groups (people, cars, cows, birds).
    static func chooseObjects(_ rng: inout KeyedRandom) -> [(String, Bool)] {
        let r = rng.nextUnitFloat()
        let count = r < 0.5 ? 1 : (r < 0.85 ? 2 : 3)
        var chosen: [(String, Bool)] = []
        while chosen.count < count {
            let name = HardObjects.names[rng.int(in: 0...(HardObjects.names.count - 1))]
            if chosen.contains(where: { $0.0 == name }) {
                guard ["person", "car", "cow", "bird"].contains(name), rng.nextUnitFloat() < 0.5 else { continue }
            }
            chosen.append((name, name == "bird" && rng.nextUnitFloat() < 0.5))
        }
        return chosen
    }

    /// Half the width of a class in its own units (how far it reaches from its origin).
    static func halfWidth(_ name: String) -> Float {
        switch name {
        case "aeroplane": return 1.6
        case "bird": return 0.65
        case "boat": return 0.9
        case "car": return 1.3
        case "cow": return 0.9
        case "person": return 0.2
        default: return 1.5
        }
    }

    /// Finds a base line, a size and a side for the object; a few tries to
    /// keep it from covering more than 40 % of an object already placed.
    static func place(
        _ name: String, flying: Bool, among placed: [Placed], background: HardBackground, canvas: Canvas,
        rng: inout KeyedRandom
    ) -> Placed {
        let raster = Raster(width: canvas.width, height: canvas.height)
        let h = Float(canvas.height)
        let w = Float(canvas.width)
        let footing = HardObjects.footing(name, flying: flying)
        let range = HardObjects.heightRange(name, flying: flying)
        var best: Placed?
        var bestOverlap = Float.infinity
        for _ in 0..<8 {
            var size = h * rng.uniform(range.lowerBound, range.upperBound)
            var base: Float
            switch footing {
            case .rails:
                base = background.railLine ?? h * 0.85
            case .water:
                let water = background.bands(.water).first ?? HardBackground.Band(kind: .water, top: h * 0.6, bottom: h)
                base = rng.uniform(water.top + water.height * 0.15, water.bottom - water.height * 0.05)
            case .sky:
                let sky = background.bands(.sky).first ?? HardBackground.Band(kind: .sky, top: 0, bottom: h * 0.6)
                size = min(size, sky.height * 0.8)
                base = rng.uniform(sky.top + size * 1.1, max(sky.top + size * 1.1, sky.bottom - size * 0.1))
            case .ground:
                let band = HardClutter.pick(background.bands(.ground).filter { $0.height > 2 }, rng: &rng)
                // Nearer (lower) bases are likelier: there is more room above them.
                base =
                    band.map {
                        $0.top + min(4, $0.height / 2) + ($0.height - min(4, $0.height / 2))
                            * rng.nextUnitFloat().squareRoot()
                    } ?? h - 2
            }
            // The top may leave the picture a little, as in photographs.
            if footing != .sky { size = max(min(size, base * 1.1), h * 0.1) }
            let facing: Float = rng.nextUnitFloat() < 0.5 ? 1 : -1
            let reach = halfWidth(name) * size
            let x: Float
            if name == "train" {
                // The front in the picture, the rest of the train running off behind it.
                x = facing > 0 ? rng.uniform(w * 0.35, w * 1.02) : rng.uniform(-w * 0.02, w * 0.65)
            } else {
                let margin = min(reach * 0.85, w * 0.45)
                x = rng.uniform(margin, w - margin)
            }
            var frame = Frame(raster: raster, originX: x, originY: base, size: size, facing: facing)
            if name == "aeroplane" { frame.tilt = rng.uniform(-0.08, 0.22) }
            let parts = HardObjects.draw(name, flying: flying, frame: frame, rng: &rng)
            let mask = Shape.union(parts.map(\.shape), canvas: raster.size)
            let area = Float(max(mask.area, 1))
            let overlap =
                placed.map { Float(mask.overlap($0.mask)) / min(area, Float(max($0.mask.area, 1))) }.max() ?? 0
            let depth = footing == .sky ? -1 : base
            let candidate = Placed(name: name, flying: flying, frame: frame, parts: parts, mask: mask, depth: depth)
            if overlap < bestOverlap {
                best = candidate
                bestOverlap = overlap
            }
            if overlap <= 0.4 { break }
        }
        return best!
    }

    /// Instance labels (k = the k-th placed object, later ones in front);
    /// the occluder in front of everything is background.
    static func labelMap(_ placed: [Placed], occluder: Shape?, width: Int, height: Int) -> [Int] {
        var labels = [Int](repeating: 0, count: width * height)
        for (k, object) in placed.enumerated() { object.mask.forEachPixel { x, y in labels[y * width + x] = k + 1 } }
        occluder?.forEachPixel { x, y in labels[y * width + x] = 0 }
        return labels
    }

    /// The first object of which less than 35 % (or too few pixels) shows.
    static func mostlyHidden(_ placed: [Placed], labels: [Int], scale: Float) -> Int? {
        guard placed.count > 1 else { return nil }
        var visible = [Int](repeating: 0, count: placed.count + 1)
        for l in labels where l > 0 { visible[l] += 1 }
        return placed.indices.first { k in
            Float(visible[k + 1]) < 0.35 * Float(placed[k].mask.area) || Float(visible[k + 1]) < 200 * scale * scale
        }
    }

    /// A pole or a leafy branch in front of one of the objects.
    static func foregroundOccluder(_ placed: [Placed], canvas: Canvas, rng: inout KeyedRandom) -> Part? {
        guard !placed.isEmpty else { return nil }
        let target = placed[rng.int(in: 0...(placed.count - 1))].mask
        let raster = Raster(width: canvas.width, height: canvas.height)
        let x = rng.uniform(Float(target.x0), Float(target.x1))
        let h = Float(canvas.height)
        if rng.nextUnitFloat() < 0.6 {
            let r = h * rng.uniform(0.01, 0.025)
            let pole = raster.capsule((x, h + r), (x + rng.uniform(-0.05, 0.05) * h, rng.uniform(-0.1, 0.3) * h), r, r)
            let metal = rng.nextUnitFloat() < 0.5 ? RGB(80, 82, 86) : Palette.earthy(&rng)
            return Part(shape: pole, texture: Surface.shaded(metal, top: 0, bottom: h, noise: ValueNoise(&rng)))
        }
        let y = Float(target.y0) + rng.uniform(0, 0.3) * Float(target.y1 - target.y0)
        let branch = raster.blob(
            x, y, h * rng.uniform(0.06, 0.14), h * rng.uniform(0.04, 0.08),
            lumps: (0..<4).map { _ in (rng.uniform(0, 0.25), rng.uniform(0, 6.28)) })
        return Part(shape: branch, texture: Textures.foliage(scale: 0.5, rng: &rng))
    }

    /// A soft dark patch on the ground under a standing object.
    static func paintShadow(of object: Placed, on canvas: inout Canvas, rng: inout KeyedRandom) {
        let f = object.frame
        let reach = halfWidth(object.name) * f.size * 1.1
        let offset = rng.uniform(-0.3, 0.3) * reach
        let ry = max(2, f.size * 0.05)
        let shadow = f.raster.ellipse(f.originX + offset, f.originY, reach, ry)
        let strength = rng.uniform(0.25, 0.45)
        canvas.blend(shadow, RGB(15, 15, 20)) { x, y in
            let dx = (Float(x) - f.originX - offset) / reach
            let dy = (Float(y) - f.originY) / ry
            return strength * max(0, 1 - dx * dx - dy * dy)
        }
    }

    /// The boat mirrored in the water below its waterline, rippled and dim.
    static func paintReflection(
        of object: Placed, instance: Int, labels: [Int], context: [UInt8], on canvas: inout Canvas
    ) {
        let line = Int(object.frame.originY)
        let w = canvas.width
        let depth = Int(object.frame.size * 0.6)
        for y in max(0, line)..<min(canvas.height, line + depth) {
            let source = 2 * line - y
            guard source >= 0 else { continue }
            let ripple = Int((2 * sinf(Float(y) * 0.9)).rounded())
            for x in max(0, object.mask.x0)..<min(w, object.mask.x1) {
                let sx = min(w - 1, max(0, x + ripple))
                guard labels[y * w + x] == 0, context[y * w + x] == 2, labels[source * w + sx] == instance else {
                    continue
                }
                let fade = 0.45 * (1 - Float(y - line) / Float(max(depth, 1)))
                let mirrored = canvas.color(sx, source) * 0.75
                let i = (y * w + x) * 3
                canvas.rgb[i] += (mirrored.r - canvas.rgb[i]) * fade
                canvas.rgb[i + 1] += (mirrored.g - canvas.rgb[i + 1]) * fade
                canvas.rgb[i + 2] += (mirrored.b - canvas.rgb[i + 2]) * fade
            }
        }
    }

    /// Class index + 1 on visible object pixels, 255 on the 2-pixel band
    /// where an object meets background or another object (VOC's ignore).
    static func groundTruth(_ labels: [Int], classIndices: [Int], width w: Int, height h: Int) -> [UInt8] {
        var gt = labels.map { $0 > 0 ? UInt8(classIndices[$0 - 1] + 1) : 0 }
        for y in 0..<h {
            for x in 0..<w {
                let l = labels[y * w + x]
                let differs =
                    (x > 0 && labels[y * w + x - 1] != l) || (x + 1 < w && labels[y * w + x + 1] != l)
                    || (y > 0 && labels[(y - 1) * w + x] != l) || (y + 1 < h && labels[(y + 1) * w + x] != l)
                if differs { gt[y * w + x] = 255 }
            }
        }
        return gt
    }

    static func boundingBox(of label: Int, _ labels: [Int], width w: Int, height h: Int) -> (Int, Int, Int, Int) {
        var x0 = w
        var y0 = h
        var x1 = 0
        var y1 = 0
        for y in 0..<h {
            for x in 0..<w where labels[y * w + x] == label {
                x0 = min(x0, x)
                y0 = min(y0, y)
                x1 = max(x1, x)
                y1 = max(y1, y)
            }
        }
        return (x0, y0, max(x1, x0), max(y1, y0))
    }
}
