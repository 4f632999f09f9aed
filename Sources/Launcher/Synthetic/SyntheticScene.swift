import Data
import Foundation
import Support

/// One synthetic picture with its ground truth: objects of a few VOC classes
/// with class-specific shapes and textures on a cluttered background, each
/// train on rails and each boat on water (context that is background in the
/// ground truth — what EPS is about), and an imperfect saliency map.
struct SyntheticScene {
    var image: Image8
    var groundTruth: Image8  // class index + 1, 0 background, 255 on object borders
    var saliency: Image8  // grey 0…255
    var context: Image8  // 0 none, 1 rails, 2 water (3 sky in `HardScene`)
    var objects: [(classIndex: Int, box: (Int, Int, Int, Int))]

    /// VOC class indices (0-based, background excluded) that scenes use.
    static let classes = ["aeroplane", "boat", "car", "person", "train"].map { ClassNames.voc.firstIndex(of: $0)! }
    static let contextNames = ["none", "rails", "water"]

    /// `scale` enlarges the picture (3 gives VOC-sized images, for benchmarks).
    static func make(key: UInt64, scale: Double = 1) -> SyntheticScene {
        var rng = KeyedRandom(key: key)
        let width = Int(Double(rng.int(in: 136...184)) * scale)
        let height = Int(Double(rng.int(in: 112...144)) * scale)
        var canvas = Canvas(width: width, height: height)
        paintBackground(&canvas, rng: &rng)

        let count = rng.nextUnitFloat() < 0.3 ? 2 : 1
        var chosen: [Int] = []
        while chosen.count < count {
            let c = classes[rng.int(in: 0...(classes.count - 1))]
            if !chosen.contains(c) { chosen.append(c) }
        }
        var gt = [UInt8](repeating: 0, count: width * height)
        var objectsMask = Mask(width: width, height: height)
        var contextMap = [UInt8](repeating: 0, count: width * height)
        var objects: [(Int, (Int, Int, Int, Int))] = []
        // Two objects sit side by side: split the width into slots.
        for (slot, classIndex) in chosen.enumerated() {
            let slotWidth = Float(width) / Float(count)
            let x0 = Float(slot) * slotWidth
            let name = ClassNames.voc[classIndex]
            let drawn = drawObject(name, into: &canvas, slot: (x0, x0 + slotWidth), rng: &rng, context: &contextMap)
            let mask = drawn - objectsMask
            for i in 0..<gt.count where mask.bits[i] { gt[i] = UInt8(classIndex + 1) }
            objectsMask = objectsMask | mask
            objects.append((classIndex, boundingBox(mask)))
        }
        canvas.addNoise(10, rng: &rng)
        for i in 0..<gt.count where objectsMask.bits[i] { contextMap[i] = 0 }

        var labelled = gt
        let border = objectsMask.border(thickness: 1)
        for i in 0..<labelled.count where border.bits[i] { labelled[i] = 255 }

        let saliency = makeSaliency(objectsMask, rng: &rng)
        return SyntheticScene(
            image: canvas.image(),
            groundTruth: Image8(width: width, height: height, channels: 1, pixels: labelled),
            saliency: saliency,
            context: Image8(width: width, height: height, channels: 1, pixels: contextMap),
            objects: objects)
    }

    static func boundingBox(_ m: Mask) -> (Int, Int, Int, Int) {
        var x0 = m.width
        var y0 = m.height
        var x1 = 0
        var y1 = 0
        for y in 0..<m.height {
            for x in 0..<m.width where m[x, y] {
                x0 = min(x0, x)
                y0 = min(y0, y)
                x1 = max(x1, x)
                y1 = max(y1, y)
            }
        }
        return (x0, y0, max(x1, x0), max(y1, y0))
    }

    /// Sky-to-ground gradient with random clutter blobs and stripes.
    static func paintBackground(_ canvas: inout Canvas, rng: inout KeyedRandom) {
        let w = canvas.width
        let h = canvas.height
        let top = (rng.uniform(90, 200), rng.uniform(110, 210), rng.uniform(140, 230))
        let bottom = (rng.uniform(60, 150), rng.uniform(70, 150), rng.uniform(40, 110))
        canvas.paint(Mask(width: w, height: h) { _, _ in true }) { _, y in
            let t = Float(y) / Float(h)
            return (top.0 + (bottom.0 - top.0) * t, top.1 + (bottom.1 - top.1) * t, top.2 + (bottom.2 - top.2) * t)
        }
        for _ in 0..<rng.int(in: 3...7) {
            let color = (rng.uniform(40, 220), rng.uniform(40, 220), rng.uniform(40, 220))
            let blob = Mask.ellipse(
                width: w, height: h, cx: rng.uniform(0, Float(w)), cy: rng.uniform(0, Float(h)),
                rx: rng.uniform(4, 18), ry: rng.uniform(4, 14))
            canvas.paint(blob) { _, _ in color }
        }
        if rng.nextUnitFloat() < 0.5 {
            let y = rng.uniform(0, Float(h) * 0.5)
            let color = (rng.uniform(60, 200), rng.uniform(60, 200), rng.uniform(60, 200))
            canvas.paint(Mask.rect(width: w, height: h, x0: 0, y0: y, x1: Float(w), y1: y + rng.uniform(2, 6))) {
                _, _ in color
            }
        }
    }

    /// Draws one object inside the horizontal slot; returns its mask. Trains
    /// get rails and boats water under them, painted into `context`.
    static func drawObject(
        _ name: String, into canvas: inout Canvas, slot: (Float, Float), rng: inout KeyedRandom,
        context: inout [UInt8]
    ) -> Mask {
        let w = canvas.width
        let h = canvas.height
        let span = slot.1 - slot.0
        let cx = slot.0 + span * rng.uniform(0.4, 0.6)
        switch name {
        case "train":
            let railY = Float(h) * rng.uniform(0.72, 0.85)
            let rails = Mask.rect(width: w, height: h, x0: 0, y0: railY, x1: Float(w), y1: railY + 9)
            canvas.paint(rails) { x, y in
                let tie = x % 7 < 3
                let rail = Int(Float(y) - railY) % 4 == 1
                return rail ? (190, 190, 200) : (tie ? (100, 65, 35) : (80, 75, 70))
            }
            for i in 0..<context.count where rails.bits[i] { context[i] = 1 }
            let length = span * rng.uniform(0.6, 0.85)
            let tall = Float(h) * rng.uniform(0.25, 0.35)
            let body = Mask.rect(
                width: w, height: h, x0: cx - length / 2, y0: railY - tall, x1: cx + length / 2, y1: railY - 1)
            let hue = (rng.uniform(150, 220), rng.uniform(20, 60), rng.uniform(20, 60))
            canvas.paint(body) { x, y in
                let window = (x / 6) % 2 == 0 && Float(y) < railY - tall * 0.5 && Float(y) > railY - tall * 0.85
                return window ? (235, 220, 90) : hue
            }
            return body
        case "boat":
            let waterY = Float(h) * rng.uniform(0.6, 0.72)
            let water = Mask.rect(width: w, height: h, x0: 0, y0: waterY, x1: Float(w), y1: Float(h))
            canvas.paint(water) { x, y in
                let wave = sinf(Float(x) * 0.5 + Float(y) * 0.9) > 0.6
                return wave ? (120, 170, 230) : (30, 80, 170)
            }
            for i in 0..<context.count where water.bits[i] { context[i] = 2 }
            let length = span * rng.uniform(0.45, 0.7)
            let depth = Float(h) * rng.uniform(0.1, 0.14)
            let hull =
                Mask.triangle(
                    width: w, height: h, (cx - length / 2, waterY - depth * 0.6),
                    (cx + length / 2, waterY - depth * 0.6),
                    (cx, waterY + depth * 0.6))
                | Mask.rect(
                    width: w, height: h, x0: cx - length / 2, y0: waterY - depth * 0.6, x1: cx + length / 2, y1: waterY)
            let sail = Mask.triangle(
                width: w, height: h, (cx, waterY - depth * 0.6 - Float(h) * 0.35), (cx, waterY - depth * 0.6),
                (cx + length * 0.4, waterY - depth * 0.6))
            let hullColor = (rng.uniform(110, 150), rng.uniform(60, 80), rng.uniform(30, 50))
            canvas.paint(hull) { _, y in (y % 3 == 0) ? (240, 240, 240) : hullColor }
            canvas.paint(sail) { _, _ in (250, 250, 245) }
            return hull | sail
        case "car":
            let groundY = Float(h) * rng.uniform(0.75, 0.88)
            let length = span * rng.uniform(0.45, 0.7)
            let tall = Float(h) * rng.uniform(0.14, 0.2)
            let body = Mask.rect(
                width: w, height: h, x0: cx - length / 2, y0: groundY - tall, x1: cx + length / 2,
                y1: groundY - tall * 0.3)
            let cabin = Mask.rect(
                width: w, height: h, x0: cx - length * 0.25, y0: groundY - tall * 1.6, x1: cx + length * 0.2,
                y1: groundY - tall)
            let wheels =
                Mask.ellipse(
                    width: w, height: h, cx: cx - length * 0.3, cy: groundY - tall * 0.3, rx: tall * 0.35,
                    ry: tall * 0.35)
                | Mask.ellipse(
                    width: w, height: h, cx: cx + length * 0.3, cy: groundY - tall * 0.3, rx: tall * 0.35,
                    ry: tall * 0.35)
            let paint = (rng.uniform(20, 80), rng.uniform(60, 140), rng.uniform(170, 240))
            canvas.paint(body | cabin) { x, y in Float(y) < groundY - tall && x % 5 == 0 ? (200, 230, 250) : paint }
            canvas.paint(wheels) { _, _ in (15, 15, 15) }
            return body | cabin | wheels
        case "person":
            let feetY = Float(h) * rng.uniform(0.82, 0.95)
            let tall = Float(h) * rng.uniform(0.5, 0.65)
            let head = Mask.ellipse(
                width: w, height: h, cx: cx, cy: feetY - tall * 0.88, rx: tall * 0.09, ry: tall * 0.11)
            let torso = Mask.rect(
                width: w, height: h, x0: cx - tall * 0.13, y0: feetY - tall * 0.77, x1: cx + tall * 0.13,
                y1: feetY - tall * 0.4)
            let legs =
                Mask.rect(
                    width: w, height: h, x0: cx - tall * 0.11, y0: feetY - tall * 0.4, x1: cx - tall * 0.02, y1: feetY)
                | Mask.rect(
                    width: w, height: h, x0: cx + tall * 0.02, y0: feetY - tall * 0.4, x1: cx + tall * 0.11, y1: feetY)
            let shirt = (rng.uniform(150, 250), rng.uniform(30, 200), rng.uniform(30, 120))
            canvas.paint(head) { _, _ in (235, 190, 160) }
            canvas.paint(torso) { _, y in y % 4 < 2 ? shirt : (shirt.0 * 0.7, shirt.1 * 0.7, shirt.2 * 0.7) }
            canvas.paint(legs) { _, _ in (40, 40, 90) }
            return head | torso | legs
        default:  // aeroplane
            let cy = Float(h) * rng.uniform(0.25, 0.45)
            let length = span * rng.uniform(0.55, 0.8)
            let fuselage = Mask.ellipse(width: w, height: h, cx: cx, cy: cy, rx: length / 2, ry: Float(h) * 0.05)
            let wings =
                Mask.triangle(
                    width: w, height: h, (cx - length * 0.1, cy), (cx + length * 0.15, cy),
                    (cx - length * 0.05, cy + Float(h) * 0.22))
                | Mask.triangle(
                    width: w, height: h, (cx - length * 0.1, cy), (cx + length * 0.15, cy),
                    (cx - length * 0.05, cy - Float(h) * 0.2))
            let tail = Mask.triangle(
                width: w, height: h, (cx - length / 2, cy), (cx - length * 0.38, cy),
                (cx - length / 2, cy - Float(h) * 0.12))
            canvas.paint(fuselage | wings | tail) { x, _ in x % 9 == 0 ? (120, 120, 130) : (225, 228, 235) }
            return fuselage | wings | tail
        }
    }

    /// The object mask made soft (box blur), with faults of real saliency
    /// detectors: a missed part now and then and sometimes a salient
    /// non-object blob.
    static func makeSaliency(_ objects: Mask, rng: inout KeyedRandom) -> Image8 {
        let w = objects.width
        let h = objects.height
        var s = objects.bits.map { $0 ? Float(1) : 0 }
        if rng.nextUnitFloat() < 0.3, objects.area > 0 {
            let box = boundingBox(objects)
            let bw = Float(box.2 - box.0)
            let bh = Float(box.3 - box.1)
            let x0 = Float(box.0) + bw * rng.uniform(0, 0.6)
            let y0 = Float(box.1) + bh * rng.uniform(0, 0.6)
            let hole = Mask.rect(width: w, height: h, x0: x0, y0: y0, x1: x0 + bw * 0.35, y1: y0 + bh * 0.35)
            for i in 0..<s.count where hole.bits[i] { s[i] *= 0.25 }
        }
        if rng.nextUnitFloat() < 0.15 {
            let blob = Mask.ellipse(
                width: w, height: h, cx: rng.uniform(0, Float(w)), cy: rng.uniform(0, Float(h) * 0.5),
                rx: rng.uniform(5, 12), ry: rng.uniform(5, 10))
            for i in 0..<s.count where blob.bits[i] { s[i] = max(s[i], 0.8) }
        }
        for _ in 0..<2 { s = boxBlur(s, width: w, height: h, radius: 1) }
        return Image8(width: w, height: h, channels: 1, pixels: s.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) })
    }

    static func boxBlur(_ v: [Float], width w: Int, height h: Int, radius r: Int) -> [Float] {
        var out = v
        for y in 0..<h {
            for x in 0..<w {
                var sum: Float = 0
                var n: Float = 0
                for dy in -r...r {
                    for dx in -r...r {
                        let xx = x + dx
                        let yy = y + dy
                        if xx >= 0 && yy >= 0 && xx < w && yy < h {
                            sum += v[yy * w + xx]
                            n += 1
                        }
                    }
                }
                out[y * w + x] = sum / n
            }
        }
        return out
    }
}
