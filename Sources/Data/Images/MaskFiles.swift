/// Reads index masks (ground truth, predictions, context regions, training
/// label maps) and rejects what would be silently wrong.
public enum MaskFiles {
    /// A one-channel mask of class or region indices; with `size`, its
    /// dimensions must equal it (context regions must match the ground truth).
    public static func read(_ path: String, size: (width: Int, height: Int)? = nil) throws -> Image8 {
        let mask = try readIndices(path)
        if let size, mask.width != size.width || mask.height != size.height {
            throw DataError(
                path,
                "mask is \(mask.width)×\(mask.height), expected \(size.width)×\(size.height) like its ground truth")
        }
        return mask
    }

    /// A training label map: one channel, `size` (the image's), every value a
    /// class index 0…classes−1 or 255 (ignored by the loss).
    public static func readLabelMap(_ path: String, classes: Int, size: (width: Int, height: Int)) throws -> Image8 {
        let mask = try readIndices(path)
        guard mask.width == size.width, mask.height == size.height else {
            throw DataError(
                path,
                "label map is \(mask.width)×\(mask.height) but the image is \(size.width)×\(size.height); "
                    + "write the label map at the image's size")
        }
        if let bad = mask.pixels.first(where: { Int($0) >= classes && $0 != ignoreLabel }) {
            throw DataError(
                path,
                "label value \(bad) is not a class index: \(classes) classes (0…\(classes - 1), 0 background) "
                    + "or \(ignoreLabel) (ignore); check --class-names or the label maps")
        }
        return mask
    }

    /// A PNG's raw indices; refuses colour PNGs (an RGB colour-coded mask would
    /// read as meaningless indices: deeplab-pytorch issue #109 trained on all background).
    static func readIndices(_ path: String) throws -> Image8 {
        let mask = try ImageCodecs.readPNG(path, indices: true)
        guard mask.channels == 1 else {
            throw DataError(
                path,
                mask.channels == 3
                    ? "an RGB colour-coded mask (colours, not class indices; e.g. VOC's colour PNG saved as RGB): "
                        + "save the class indices as a one-channel grey or palette PNG (as VOC's SegmentationClassAug, or "
                        + "eps-dist infer --cam-png writes them)"
                    : "expected a one-channel mask of indices (grey or palette PNG), found \(mask.channels) channels")
        }
        return mask
    }

    /// The label value the segmentation loss ignores (padding, unlabelled pixels).
    public static let ignoreLabel: UInt8 = 255
}
