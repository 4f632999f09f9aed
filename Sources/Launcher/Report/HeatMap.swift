import Data

/// A class activation map shown as the reference's visualisations do: the
/// map in the jet colour map (blue 0 → red 1) blended half and half with the
/// photograph.
enum HeatMap {
    /// Jet colour of `v` clamped to [0, 1] (NaN as 0).
    static func jet(_ v: Float) -> (UInt8, UInt8, UInt8) {
        let t = v.isNaN ? 0 : min(max(v, 0), 1)
        func channel(_ centre: Float) -> UInt8 { UInt8((min(max(1.5 - abs(4 * t - centre), 0), 1) * 255).rounded()) }
        return (channel(3), channel(2), channel(1))
    }

    /// `map` (H×W, row-major, the image's size) in jet over `image`.
    static func overlay(_ map: [Float], on image: Image8) -> Image8 {
        precondition(image.channels == 3 && map.count == image.width * image.height, "a map of the image's size")
        var out = image
        for (i, v) in map.enumerated() {
            let (r, g, b) = jet(v)
            out.pixels[3 * i] = MaskPainting.mix(image.pixels[3 * i], r)
            out.pixels[3 * i + 1] = MaskPainting.mix(image.pixels[3 * i + 1], g)
            out.pixels[3 * i + 2] = MaskPainting.mix(image.pixels[3 * i + 2], b)
        }
        return out
    }
}
