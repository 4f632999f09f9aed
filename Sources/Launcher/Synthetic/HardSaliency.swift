import Data
import Support

/// The saliency map of a hard scene, with the faults of a real salient
/// object detector: soft edges of varying width, edges shifted, grown or
/// shrunk by a few pixels, objects below full confidence (a few much
/// below), missed parts, salient distractors, and now and then a strip of
/// context (rails under a train, water by a boat) taken for object.
enum HardSaliency {
    /// What the map is made from: the instance label of each pixel (0 none,
    /// k the k-th instance), each instance's box and class, the distractors
    /// and the context map.
    struct Scene {
        let width: Int
        let height: Int
        let labels: [Int]
        let instances: [(name: String, box: (Int, Int, Int, Int))]
        let distractors: [Shape]
        let context: [UInt8]
    }

    static func make(_ scene: Scene, scale: Float, rng: inout KeyedRandom) -> Image8 {
        let w = scene.width
        let h = scene.height
        var values = scene.instances.map { _ in rng.uniform(0.75, 1) }
        for k in values.indices where rng.nextUnitFloat() < 0.1 { values[k] = rng.uniform(0.3, 0.55) }
        var s = scene.labels.map { $0 > 0 ? values[$0 - 1] : 0 }
        s = distortEdges(s, width: w, height: h, scale: scale, rng: &rng)
        if rng.nextUnitFloat() < 0.3, let k = pick(scene.instances.count, &rng) {
            punchHole(&s, box: scene.instances[k].box, width: w, height: h, rng: &rng)
        }
        if rng.nextUnitFloat() < 0.2 {
            let value = rng.uniform(0.6, 0.9)
            if let k = pick(scene.distractors.count, &rng) {
                scene.distractors[k].forEachPixel { x, y in s[y * w + x] = max(s[y * w + x], value) }
            } else {
                let blob = Raster(width: w, height: h).ellipse(
                    rng.uniform(0, Float(w)), rng.uniform(0, Float(h)), Float(h) * rng.uniform(0.04, 0.1),
                    Float(h) * rng.uniform(0.04, 0.1))
                blob.forEachPixel { x, y in s[y * w + x] = max(s[y * w + x], value) }
            }
        }
        for instance in scene.instances where rng.nextUnitFloat() < 0.1 {
            let code: UInt8 = instance.name == "train" ? 1 : (instance.name == "boat" ? 2 : 0)
            if code > 0 { markContext(&s, scene, code: code, under: instance.box) }
        }
        let radius = max(1, Int((rng.uniform(1, 4.99) * scale).rounded(.down)))
        for _ in 0..<2 { s = PlaneFilters.boxBlur(s, width: w, height: h, radius: radius) }
        return Image8(width: w, height: h, channels: 1, pixels: s.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) })
    }

    static func pick(_ n: Int, _ rng: inout KeyedRandom) -> Int? { n > 0 ? rng.int(in: 0...(n - 1)) : nil }

    /// Moves the map by up to 3 px and grows or shrinks it by up to 3 px.
    static func distortEdges(_ s: [Float], width w: Int, height h: Int, scale: Float, rng: inout KeyedRandom) -> [Float]
    {
        var out = s
        if rng.nextUnitFloat() < 0.5 {
            let dx = Int((rng.uniform(-3, 3) * scale).rounded())
            let dy = Int((rng.uniform(-3, 3) * scale).rounded())
            out = PlaneFilters.shift(out, width: w, height: h, dx: dx, dy: dy)
        }
        let r = rng.nextUnitFloat()
        let radius = r < 0.35 ? rng.int(in: 1...3) : (r < 0.6 ? -rng.int(in: 1...2) : 0)
        guard radius != 0 else { return out }
        let inside = out.map { $0 > 0 ? Float(1) : 0 }
        let grown = PlaneFilters.morph(inside, width: w, height: h, radius: radius)
        if radius < 0 { return zip(out, grown).map { $0 * $1 } }
        // New edge pixels take the mean value of the object pixels around them.
        let sum = PlaneFilters.boxBlur(out, width: w, height: h, radius: radius)
        let count = PlaneFilters.boxBlur(inside, width: w, height: h, radius: radius)
        for i in out.indices where grown[i] > 0 && out[i] == 0 && count[i] > 0 { out[i] = sum[i] / count[i] }
        return out
    }

    /// A missed part: a rectangle or ellipse of 20–40 % of the box, faint.
    static func punchHole(
        _ s: inout [Float], box: (Int, Int, Int, Int), width w: Int, height h: Int, rng: inout KeyedRandom
    ) {
        let bw = Float(box.2 - box.0 + 1)
        let bh = Float(box.3 - box.1 + 1)
        let fraction = rng.uniform(0.2, 0.4)
        let aspect = rng.uniform(0.6, 1.6)
        let hw = min(bw, bw * (fraction * aspect).squareRoot())
        let hh = min(bh, bh * fraction / (hw / bw))
        let x0 = Float(box.0) + rng.uniform(0, bw - hw)
        let y0 = Float(box.1) + rng.uniform(0, bh - hh)
        let raster = Raster(width: w, height: h)
        let hole =
            rng.nextUnitFloat() < 0.5
            ? raster.rect(x0, y0, x0 + hw, y0 + hh)
            : raster.ellipse(x0 + hw / 2, y0 + hh / 2, hw / 2 * 1.13, hh / 2 * 1.13)
        let keep = rng.uniform(0.05, 0.3)
        hole.forEachPixel { x, y in s[y * w + x] *= keep }
    }

    /// Context pixels (code) below the object and within its width, at 0.5.
    static func markContext(_ s: inout [Float], _ scene: Scene, code: UInt8, under box: (Int, Int, Int, Int)) {
        let w = scene.width
        let pad = (box.2 - box.0) / 10
        let depth = max(4, (box.3 - box.1) / 4)
        for y in max(0, box.3 - depth)..<min(scene.height, box.3 + depth) {
            for x in max(0, box.0 - pad)..<min(w, box.2 + pad + 1) where scene.context[y * w + x] == code {
                s[y * w + x] = max(s[y * w + x], 0.5)
            }
        }
    }
}
