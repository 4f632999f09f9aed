/// Resizing of label maps (class indices, 255 = ignore) the way Pillow's
/// `Image.resize(..., NEAREST)` does it: deeplab-pytorch resizes its training
/// labels with it, both in the augmentation and to each logit size of the loss
/// (its issue #51 explains why not torch's or OpenCV's nearest, which pick
/// other source pixels). Pillow (`ImagingScaleAffine`) accumulates the
/// position in double: x₀ = step/2, x_{d+1} = x_d + step with step = in/out,
/// source index ⌊x_d⌋. The accumulated sum sometimes lands just below an
/// integer that (d + 0.5)·step reaches exactly (40 → 30 columns: output 4
/// takes column 5, not 6), so the closed form is not Pillow's.
public enum LabelResize {
    /// The source indices along one axis of `input` pixels resized to `output`.
    public static func sourceIndices(input: Int, output: Int) -> [Int] {
        let step = Double(input) / Double(output)
        var position = step * 0.5
        var indices = [Int](repeating: 0, count: output)
        for d in 0..<output {
            indices[d] = min(Int(position.rounded(.down)), input - 1)
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
