import Support

/// Colours of the hard scenes. Objects and distractors draw from the same
/// lists, so colour alone never tells a class: shape and texture must.
enum Palette {
    /// Paint of vehicles, boxes, signs and clothes.
    static func vivid(_ rng: inout KeyedRandom) -> RGB {
        let choices: [RGB] = [
            RGB(200, 35, 35), RGB(30, 70, 170), RGB(230, 190, 40), RGB(40, 130, 60), RGB(230, 120, 30),
            RGB(235, 235, 232), RGB(30, 30, 34), RGB(165, 168, 172), RGB(120, 30, 110), RGB(60, 160, 200),
            RGB(110, 70, 40),
        ]
        return jitter(choices[rng.int(in: 0...(choices.count - 1))], 18, &rng)
    }

    static func skin(_ rng: inout KeyedRandom) -> RGB {
        let tones: [RGB] = [RGB(240, 200, 170), RGB(210, 160, 120), RGB(160, 110, 75), RGB(100, 65, 45)]
        return jitter(tones[rng.int(in: 0...(tones.count - 1))], 10, &rng)
    }

    static func hair(_ rng: inout KeyedRandom) -> RGB {
        let tones: [RGB] = [
            RGB(25, 20, 18), RGB(70, 45, 25), RGB(150, 110, 60), RGB(210, 180, 120), RGB(160, 160, 160),
        ]
        return jitter(tones[rng.int(in: 0...(tones.count - 1))], 8, &rng)
    }

    /// Natural colours of fur, feathers, wood and rock.
    static func earthy(_ rng: inout KeyedRandom) -> RGB {
        let tones: [RGB] = [
            RGB(120, 80, 45), RGB(70, 50, 35), RGB(160, 130, 95), RGB(40, 38, 36), RGB(200, 195, 185),
            RGB(150, 90, 50),
        ]
        return jitter(tones[rng.int(in: 0...(tones.count - 1))], 14, &rng)
    }

    static func jitter(_ c: RGB, _ amount: Float, _ rng: inout KeyedRandom) -> RGB {
        let k = rng.uniform(0.85, 1.12)
        return RGB(
            clamp(c.r * k + rng.uniform(-amount, amount)), clamp(c.g * k + rng.uniform(-amount, amount)),
            clamp(c.b * k + rng.uniform(-amount, amount)))
    }

    static func clamp(_ v: Float) -> Float { min(255, max(0, v)) }
}

/// Shading of painted surfaces, so that parts look solid rather than flat.
enum Surface {
    /// Lighter at `top`, darker at `bottom` (light from above), with a
    /// noise wobble of relative strength `grain` and feature size `scale` px.
    static func shaded(
        _ base: RGB, top: Float, bottom: Float, noise: ValueNoise, grain: Float = 0.1, scale: Float = 5
    ) -> Texture {
        let span = max(bottom - top, 1)
        return { x, y in
            let t = min(1, max(0, (Float(y) - top) / span))
            let n = noise.fbm(Float(x), Float(y), scale: scale, octaves: 2) - 0.5
            return base * ((1.15 - 0.35 * t) * (1 + 2 * grain * n))
        }
    }

    static func solid(_ c: RGB) -> Texture { { _, _ in c } }
}
