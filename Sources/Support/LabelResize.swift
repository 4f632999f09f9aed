/// Resizing of label maps (class indices, 255 = ignore) the way Pillow's
/// `Image.resize(..., NEAREST)` does it: deeplab-pytorch resizes its training
/// labels with it, both in the augmentation and to each logit size of the loss
/// (its issue #51 explains why not torch's or OpenCV's nearest, which pick
/// other source pixels). Per axis, source index = min(floor((dst + 0.5) · in / out), in − 1),
/// in double precision as Pillow computes it.
public enum LabelResize {
    /// The source index along one axis of `input` pixels resized to `output`.
    public static func sourceIndex(_ dst: Int, input: Int, output: Int) -> Int {
        let scale = Double(input) / Double(output)
        return min(Int(((Double(dst) + 0.5) * scale).rounded(.down)), input - 1)
    }

    /// One label map `height`×`width` (row-major) resized to `toHeight`×`toWidth`.
    public static func nearest(_ labels: [UInt8], height: Int, width: Int, toHeight: Int, toWidth: Int) -> [UInt8] {
        precondition(labels.count == height * width, "label map of \(labels.count) values is not \(height)×\(width)")
        let columns = (0..<toWidth).map { sourceIndex($0, input: width, output: toWidth) }
        var out = [UInt8](repeating: 0, count: toHeight * toWidth)
        for y in 0..<toHeight {
            let row = sourceIndex(y, input: height, output: toHeight) * width
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
