import Data

/// Class-index masks made visible: coloured with the VOC palette (what
/// `infer --color-png` writes; 255 = ignore is its cream colour), and laid
/// over the photograph for the overlay.
enum MaskPainting {
    /// The mask as RGB in the VOC palette.
    static func colour(_ mask: Image8) -> Image8 {
        precondition(mask.channels == 1, "a mask of indices")
        let palette = ImageCodecs.vocPalette
        var out = Image8(width: mask.width, height: mask.height, channels: 3)
        for (i, v) in mask.pixels.enumerated() {
            for c in 0..<3 { out.pixels[3 * i + c] = palette[3 * Int(v) + c] }
        }
        return out
    }

    /// The photograph with every non-background pixel of `mask` mixed half and
    /// half with its class colour; background (0) and ignore (255) stay as they are.
    static func overlay(_ mask: Image8, on image: Image8) -> Image8 {
        precondition(mask.channels == 1 && image.channels == 3)
        precondition(mask.width == image.width && mask.height == image.height, "mask and image of one size")
        let palette = ImageCodecs.vocPalette
        var out = image
        for (i, v) in mask.pixels.enumerated() where v != 0 && v != 255 {
            for c in 0..<3 {
                out.pixels[3 * i + c] = mix(image.pixels[3 * i + c], palette[3 * Int(v) + c])
            }
        }
        return out
    }

    /// Half of each, rounded (the blends of the overlays and heat maps).
    @inline(__always) static func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Int(a) + Int(b) + 1) / 2) }
}
