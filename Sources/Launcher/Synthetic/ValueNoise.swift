import Support

/// Smooth pseudo-random fields for the hard scenes' textures: value noise on
/// an integer lattice whose values are hashed from the lattice point and a
/// seed. No tables: any point costs the same, and a scene stays a pure
/// function of its key.
struct ValueNoise {
    let seed: UInt64

    init(_ rng: inout KeyedRandom) { seed = rng.next() }

    /// Uniform in [0, 1) at an integer point (also a per-pixel grain).
    func lattice(_ ix: Int, _ iy: Int) -> Float {
        var z =
            seed ^ (UInt64(bitPattern: Int64(ix)) &* 0x9E37_79B9_7F4A_7C15)
            ^ (UInt64(bitPattern: Int64(iy)) &* 0xC2B2_AE3D_27D4_EB4F)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) * (1.0 / 16_777_216.0)
    }

    /// Smoothly interpolated noise in [0, 1] at (x, y) in lattice units.
    func at(_ x: Float, _ y: Float) -> Float {
        let fx = x.rounded(.down)
        let fy = y.rounded(.down)
        let ix = Int(fx)
        let iy = Int(fy)
        var tx = x - fx
        var ty = y - fy
        tx = tx * tx * (3 - 2 * tx)
        ty = ty * ty * (3 - 2 * ty)
        let a = lattice(ix, iy)
        let b = lattice(ix + 1, iy)
        let c = lattice(ix, iy + 1)
        let d = lattice(ix + 1, iy + 1)
        return a + (b - a) * tx + (c - a) * ty + (a - b - c + d) * tx * ty
    }

    /// Fractal sum in [0, 1]: `octaves` layers, each twice as fine and half
    /// as strong as the one before; `scale` is the coarsest feature in pixels.
    func fbm(_ x: Float, _ y: Float, scale: Float, octaves: Int = 4) -> Float {
        var sum: Float = 0
        var weight: Float = 1
        var total: Float = 0
        var f = 1 / scale
        for octave in 0..<octaves {
            // Shift each octave so that lattice points of the layers do not line up.
            let shift = Float(octave) * 17.31
            sum += weight * at(x * f + shift, y * f - shift)
            total += weight
            weight *= 0.5
            f *= 2
        }
        return sum / total
    }
}
