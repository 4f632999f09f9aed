import Support

/// The per-channel input normalisation of the segmentation network, on the
/// 0…255 scale in BGR order: x = (value − mean[c]) / std[c].
public struct BGRNormalization: Sendable, Equatable {
    public var mean: [Double]
    public var std: [Double]

    public init(mean: [Double], std: [Double] = [1, 1, 1]) {
        precondition(mean.count == 3 && std.count == 3, "three BGR channels")
        self.mean = mean
        self.std = std
    }

    /// deeplab-pytorch's caffe mean (configs/voc12.yaml IMAGE.MEAN B, G, R), no std.
    public static let caffe = BGRNormalization(mean: [104.008, 116.669, 122.675])

    /// One value, in double as NumPy subtracts the float64 mean from the float32
    /// image (`image -= self.mean_bgr`), rounded to float.
    @inline(__always) func apply(_ value: Float, channel c: Int) -> Float {
        Float((Double(value) - mean[c]) / std[c])
    }
}

/// deeplab-pytorch's training transform (reference stage2-and-crf.md 2.3,
/// libs/datasets/voc.py `_augmentation` and base.py), per sample: scale s
/// from `scales`; new size (Int(h·s), Int(w·s)); image resized by
/// `cv2.resize` INTER_LINEAR on the float BGR image (`OpenCVResize`), label by
/// Pillow NEAREST (`LabelResize`); padded bottom/right to at least crop×crop
/// (image with the mean, label with 255); a random crop×crop window (offsets
/// uniform, inclusive, top then left); horizontal flip with p 0.5; mean
/// subtracted. Draws from the sample's keyed generator in that order.
public struct SegmentationAugmentation: Sendable {
    public var cropSize: Int
    public var scales: [Double]
    public var flip: Bool
    public var normalization: BGRNormalization

    public init(
        cropSize: Int, scales: [Double] = [0.5, 0.75, 1.0, 1.25, 1.5], flip: Bool = true,
        normalization: BGRNormalization = .caffe
    ) {
        precondition(cropSize > 0 && !scales.isEmpty && scales.allSatisfy { $0 > 0 }, "crop and scales positive")
        self.cropSize = cropSize
        self.scales = scales
        self.flip = flip
        self.normalization = normalization
    }

    /// The random choices for one sample.
    public struct Draws: Sendable, Equatable {
        public var scale: Double
        public var top: Int
        public var left: Int
        public var flip: Bool
        public init(scale: Double, top: Int, left: Int, flip: Bool) {
            self.scale = scale
            self.top = top
            self.left = left
            self.flip = flip
        }
    }

    /// dlp's size after scaling: (int(h·s), int(w·s)), at least 1 (dlp's cv2 would fail on 0).
    public static func scaledSize(width: Int, height: Int, scale: Double) -> (width: Int, height: Int) {
        (max(Int(Double(width) * scale), 1), max(Int(Double(height) * scale), 1))
    }

    /// Draws for an image of width×height: scale, crop top, crop left, flip.
    public func draw(width: Int, height: Int, rng: inout KeyedRandom) -> Draws {
        let scale = scales[rng.int(in: 0...(scales.count - 1))]
        let size = Self.scaledSize(width: width, height: height, scale: scale)
        let top = rng.int(in: 0...(max(size.height, cropSize) - cropSize))
        let left = rng.int(in: 0...(max(size.width, cropSize) - cropSize))
        let flipped = flip && rng.nextUnitDouble() < 0.5
        return Draws(scale: scale, top: top, left: left, flip: flipped)
    }

    /// image: RGB (as decoded); label: one channel of class indices, the image's size.
    /// Returns the image [3, crop, crop] (BGR, normalised, CHW) and the label [crop, crop] (255 = ignore).
    public func apply(image: Image8, label: Image8, rng: inout KeyedRandom) -> (image: [Float], label: [UInt8]) {
        apply(image: image, label: label, draws: draw(width: image.width, height: image.height, rng: &rng))
    }

    /// The transform with given draws (tests compare it to dlp's code given the same).
    public func apply(image: Image8, label: Image8, draws: Draws) -> (image: [Float], label: [UInt8]) {
        precondition(
            label.channels == 1 && label.width == image.width && label.height == image.height,
            "label map of the image's size")
        let size = Self.scaledSize(width: image.width, height: image.height, scale: draws.scale)
        let bgr = OpenCVResize.linear(
            OpenCVResize.bgrFloats(image), width: image.width, height: image.height, channels: 3,
            toWidth: size.width, toHeight: size.height)
        let labels = LabelResize.nearest(
            label.pixels, height: label.height, width: label.width, toHeight: size.height, toWidth: size.width)
        let crop = cropSize
        precondition(
            draws.top >= 0 && draws.top + crop <= max(size.height, crop) && draws.left >= 0
                && draws.left + crop <= max(size.width, crop), "crop window outside the padded image")
        // Padding (mean / 255) then the crop window, flipped: output column x reads padded column
        // left + (flip ? crop − 1 − x : x); padding pixels normalise the mean itself, as dlp.
        let padValue = (0..<3).map { Float(normalization.mean[$0]) }
        var outImage = [Float](repeating: 0, count: 3 * crop * crop)
        var outLabel = [UInt8](repeating: MaskFiles.ignoreLabel, count: crop * crop)
        for y in 0..<crop {
            let sy = draws.top + y
            for x in 0..<crop {
                let sx = draws.left + (draws.flip ? crop - 1 - x : x)
                let inside = sy < size.height && sx < size.width
                for c in 0..<3 {
                    let v = inside ? bgr[(sy * size.width + sx) * 3 + c] : padValue[c]
                    outImage[(c * crop + y) * crop + x] = normalization.apply(v, channel: c)
                }
                if inside { outLabel[y * crop + x] = labels[sy * size.width + sx] }
            }
        }
        return (outImage, outLabel)
    }

    /// The eval transform (dlp with augment off; seg-infer): the whole RGB image
    /// as normalised BGR [3, H, W] CHW.
    public static func evalImage(_ image: Image8, normalization: BGRNormalization = .caffe) -> [Float] {
        let bgr = OpenCVResize.bgrFloats(image)
        let plane = image.width * image.height
        var out = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            for c in 0..<3 { out[c * plane + i] = normalization.apply(bgr[i * 3 + c], channel: c) }
        }
        return out
    }
}
