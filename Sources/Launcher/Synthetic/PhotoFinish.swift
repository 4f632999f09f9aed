import Support

/// The last touches that make a drawing look more like a photograph: a
/// slightly soft lens, exposure, contrast and white balance that differ per
/// picture, sometimes a vignette, and sensor noise.
enum PhotoFinish {
    static func apply(_ canvas: inout Canvas, scale: Float, rng: inout KeyedRandom) {
        let w = canvas.width
        let h = canvas.height
        let soft = rng.uniform(0.3, 0.8)
        for c in 0..<3 {
            let plane = (0..<(w * h)).map { canvas.rgb[$0 * 3 + c] }
            let blurred = PlaneFilters.boxBlur(plane, width: w, height: h, radius: max(1, Int(scale.rounded())))
            for i in 0..<(w * h) { canvas.rgb[i * 3 + c] = plane[i] + (blurred[i] - plane[i]) * soft }
        }
        let contrast = rng.uniform(0.78, 1.15)
        let brightness = rng.uniform(-22, 18)
        let gains = (rng.uniform(0.93, 1.07), rng.uniform(0.95, 1.05), rng.uniform(0.93, 1.07))
        let vignette = rng.nextUnitFloat() < 0.4 ? rng.uniform(0.1, 0.35) : 0
        let amplitude = rng.uniform(3, 9)
        let cx = Float(w) / 2
        let cy = Float(h) / 2
        let r2 = cx * cx + cy * cy
        for y in 0..<h {
            for x in 0..<w {
                let dx = Float(x) - cx
                let dy = Float(y) - cy
                let light = 1 - vignette * (dx * dx + dy * dy) / r2
                let grain = rng.uniform(-amplitude, amplitude)
                let i = (y * w + x) * 3
                for (c, gain) in [gains.0, gains.1, gains.2].enumerated() {
                    let v = ((canvas.rgb[i + c] - 128) * contrast + 128 + brightness) * gain * light
                    canvas.rgb[i + c] = v + grain + rng.uniform(-amplitude, amplitude) * 0.3
                }
            }
        }
    }
}
