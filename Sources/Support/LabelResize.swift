/// Resizing of label maps (class indices, 255 = ignore) the way Pillow's
/// `Image.resize(..., NEAREST)` does it: deeplab-pytorch resizes its training
/// labels with it, both in the augmentation and to each logit size of the loss
/// (its issue #51 explains why not torch's or OpenCV's nearest, which pick
/// other source pixels).
///
/// Pillow (`ImagingScaleAffine`) does not evaluate floor((dst + 0.5)·in/out):
/// per axis it starts at 0.5·step, step = in/out in double, truncates, and adds
/// the step once per output pixel. Where (dst + 0.5)·in/out is an exact integer
/// the accumulated sum can land just below it, one source pixel earlier than
/// the closed form (2 → 7 at dst 3; 100 → 75, 240 → 11, …: a fifth of the
/// size pairs up to 400, and 459 of deeplab-pytorch's 1,604 scaled sizes of
/// 100…500-pixel sides). The golden label_nearest cases pin this down.
public enum LabelResize {
    /// The source index of every output pixel along one axis of `input`
    /// pixels resized to `output`, accumulated as Pillow does.
    public static func sourceIndices(input: Int, output: Int) -> [Int] {
        let step = Double(input) / Double(output)
        var position = step * 0.5
        var indices: [Int] = []
        indices.reserveCapacity(output)
        for _ in 0..<output {
            indices.append(min(Int(position), input - 1))
            position += step
        }
        return indices
    }

    /// One label map `height`×`width` (row-major) resized to `toHeight`×`toWidth`.
    public static func nearest(_ labels: [UInt8], height: Int, width: Int, toHeight: Int, toWidth: Int) -> [UInt8] {
        precondition(labels.count == height * width, "label map of \(labels.count) values is not \(height)×\(width)")
        let columns = sourceIndices(input: width, output: toWidth)
        let rows = sourceIndices(input: height, output: toHeight)
        var out = [UInt8](repeating: 0, count: toHeight * toWidth)
        for y in 0..<toHeight {
            let row = rows[y] * width
            for x in 0..<toWidth { out[y * toWidth + x] = labels[row + columns[x]] }
        }
        return out
    }

    /// `n` label maps stacked ([n, height, width]), each resized.
    public static func nearestBatch(
        _ labels: [UInt8], n: Int, height: Int, width: Int, toHeight: Int, toWidth: Int
    ) -> [UInt8] {
        let plane = height * width
        var out: [UInt8] = []
        out.reserveCapacity(n * toHeight * toWidth)
        for i in 0..<n {
            out += nearest(
                Array(labels[(i * plane)..<((i + 1) * plane)]), height: height, width: width, toHeight: toHeight,
                toWidth: toWidth)
        }
        return out
    }
}
