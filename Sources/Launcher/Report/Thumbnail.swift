import Data

/// Gallery images at a bounded size, so eighteen images with their masks and
/// maps keep the page a few megabytes: photographs and blends are resized
/// like Pillow's bicubic, index masks by nearest neighbour (no mixed classes).
enum Thumbnail {
    /// The size that fits `width`×`height` inside `side`×`side` (never larger than it is).
    static func size(width: Int, height: Int, side: Int) -> (width: Int, height: Int) {
        let scale = min(1, Double(side) / Double(max(width, height)))
        return (max(1, Int((Double(width) * scale).rounded())), max(1, Int((Double(height) * scale).rounded())))
    }

    static func smooth(_ image: Image8, side: Int) -> Image8 {
        let s = size(width: image.width, height: image.height, side: side)
        return s == (image.width, image.height) ? image : PillowResize.resize(image, width: s.width, height: s.height)
    }

    static func nearest(_ mask: Image8, side: Int) -> Image8 {
        let s = size(width: mask.width, height: mask.height, side: side)
        if s == (mask.width, mask.height) { return mask }
        var out = Image8(width: s.width, height: s.height, channels: mask.channels)
        for y in 0..<s.height {
            let sy = min(mask.height - 1, y * mask.height / s.height)
            for x in 0..<s.width {
                let sx = min(mask.width - 1, x * mask.width / s.width)
                for c in 0..<mask.channels { out.pixels[(y * s.width + x) * mask.channels + c] = mask[sx, sy, c] }
            }
        }
        return out
    }
}
