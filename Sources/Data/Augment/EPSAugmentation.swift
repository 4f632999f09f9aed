import Support

/// The reference's training transform (docs/REFERENCE.md, section 1.5), per sample:
/// random long side in [lo, hi] (Pillow bicubic, image and saliency with the
/// same target), joint horizontal flip, colour jitter on the image only,
/// the backbone's input normalisation (ImageNet mean/std for the ResNets),
/// joint random crop into zero-filled crop×crop containers. Every draw comes
/// from the sample's own keyed generator.
public struct EPSAugmentation: Sendable {
    public var cropSize: Int
    public var resizeRange: ClosedRange<Int>
    public var jitter: ColorJitter?
    public var normalization: InputNormalization

    public init(
        cropSize: Int, resizeRange: ClosedRange<Int>, jitter: ColorJitter? = ColorJitter(),
        normalization: InputNormalization = .imagenet
    ) {
        self.cropSize = cropSize
        self.resizeRange = resizeRange
        self.jitter = jitter
        self.normalization = normalization
    }

    /// image: RGB; saliency: grey or RGB of the same size (nil for the CAM
    /// baseline). Returns the normalised image [3, crop, crop] and the
    /// saliency [1, crop, crop] in [0, 1] (channel mean), both CHW.
    public func apply(image: Image8, saliency: Image8?, rng: inout KeyedRandom) -> (image: [Float], saliency: [Float]?)
    {
        let target = rng.int(in: resizeRange)
        let size = PillowResize.longSideSize(width: image.width, height: image.height, target: target)
        var img = PillowResize.resize(image, width: size.width, height: size.height)
        var sal = saliency.map { PillowResize.resize($0, width: size.width, height: size.height) }
        if rng.nextUnitDouble() > 0.5 {
            img = img.flippedHorizontally()
            sal = sal?.flippedHorizontally()
        }
        if let jitter { img = jitter.apply(img, rng: &rng) }
        let crop = CropBox.random(width: img.width, height: img.height, crop: cropSize, rng: &rng)
        return (
            crop.apply(planes: Self.normalizedPlanes(img, normalization), width: img.width),
            sal.map { crop.apply(planes: Self.scaledPlanes($0), width: $0.width) }
        )
    }

    /// Normalised CHW planes of an RGB image: (value / 255 − mean[c]) / std[c].
    public static func normalizedPlanes(_ img: Image8, _ normalization: InputNormalization) -> [[Float]] {
        let (mean, std) = (normalization.mean, normalization.std)
        return (0..<3).map { c in
            (0..<(img.width * img.height)).map { i in (Float(img.pixels[i * 3 + c]) / 255 - mean[c]) / std[c] }
        }
    }

    /// The saliency as one plane: channel mean of value/255.
    static func scaledPlanes(_ sal: Image8) -> [[Float]] {
        [sal.channelMean().map { $0 / 255 }]
    }
}

/// The reference's joint random crop with zero padding: per axis, with
/// space = size − crop, either an image offset in 0…space (space > 0) or a
/// container offset in 0…−space; min(crop, size) pixels are copied.
public struct CropBox: Sendable, Equatable {
    public var crop: Int
    public var containerX, containerY, imageX, imageY, copyW, copyH: Int

    public static func random(width: Int, height: Int, crop: Int, rng: inout KeyedRandom) -> CropBox {
        func axis(_ size: Int) -> (container: Int, image: Int) {
            let space = size - crop
            return space > 0 ? (0, rng.int(in: 0...space)) : (rng.int(in: 0...(-space)), 0)
        }
        let (cx, ix) = axis(width)
        let (cy, iy) = axis(height)
        return CropBox(
            crop: crop, containerX: cx, containerY: cy, imageX: ix, imageY: iy,
            copyW: min(crop, width), copyH: min(crop, height))
    }

    /// Crops each plane (row-major, `width` wide) into a zero crop×crop plane; returns them concatenated (CHW).
    public func apply(planes: [[Float]], width: Int) -> [Float] {
        var out = [Float](repeating: 0, count: planes.count * crop * crop)
        for (c, plane) in planes.enumerated() {
            for y in 0..<copyH {
                let src = (imageY + y) * width + imageX
                let dst = c * crop * crop + (containerY + y) * crop + containerX
                for x in 0..<copyW { out[dst + x] = plane[src + x] }
            }
        }
        return out
    }
}
