/// `cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)` on a float32
/// image (not OpenCV's 8-bit fixed-point path): half-pixel centres, no
/// antialiasing, edges clamped; the horizontal pass, then the vertical one.
/// Per axis, in double: f = (d + 0.5)·in/out − 0.5, s = ⌊f⌋, t = float(f − s);
/// a source index outside the image is clamped and the value copied; inside,
/// out = a + t·(b − a) with one rounding (a fused multiply-add).
/// This is OpenCV 4.14's float path exactly (every fixture value equal,
/// scripts/make_segmentation_fixtures.py). Older OpenCV (3.x, early 4.x)
/// computed f in float and (1 − t)·a + t·b: ≤ ~5e-4 apart on 0…255 values.
/// OpenCV halves both sides exactly with INTER_AREA instead; on integer-valued
/// images (decoded JPEGs) that 2×2 mean is exact and equals this.
public enum OpenCVResize {
    /// `pixels`: width×height×channels row-major HWC; returns toHeight×toWidth×channels.
    public static func linear(
        _ pixels: [Float], width: Int, height: Int, channels cn: Int, toWidth: Int, toHeight: Int
    ) -> [Float] {
        precondition(pixels.count == width * height * cn, "\(pixels.count) values are not \(width)×\(height)×\(cn)")
        precondition(toWidth > 0 && toHeight > 0, "resize to an empty image")
        if toWidth == width && toHeight == height { return pixels }
        let columns = (0..<toWidth).map { tap($0, input: width, output: toWidth) }
        let rowWidth = toWidth * cn
        // Horizontal pass of one source row [toWidth·cn].
        func horizontal(_ sy: Int) -> [Float] {
            var row = [Float](repeating: 0, count: rowWidth)
            pixels.withUnsafeBufferPointer { p in
                let base = sy * width * cn
                for (dx, (sx, t)) in columns.enumerated() {
                    for c in 0..<cn {
                        let a = p[base + sx * cn + c]
                        row[dx * cn + c] = t.map { a.addingProduct($0, p[base + (sx + 1) * cn + c] - a) } ?? a
                    }
                }
            }
            return row
        }
        var rows = [[Float]?](repeating: nil, count: height)
        var out = [Float](repeating: 0, count: toHeight * rowWidth)
        for dy in 0..<toHeight {
            let (sy, t) = tap(dy, input: height, output: toHeight)
            if rows[sy] == nil { rows[sy] = horizontal(sy) }
            let o = dy * rowWidth
            guard let t else {
                out.replaceSubrange(o..<(o + rowWidth), with: rows[sy]!)
                continue
            }
            if rows[sy + 1] == nil { rows[sy + 1] = horizontal(sy + 1) }
            let (r0, r1) = (rows[sy]!, rows[sy + 1]!)
            for x in 0..<rowWidth { out[o + x] = r0[x].addingProduct(t, r1[x] - r0[x]) }
        }
        return out
    }

    /// An 8-bit RGB image as float BGR HWC, as `cv2.imread(...).astype(np.float32)` gives it.
    public static func bgrFloats(_ rgb: Image8) -> [Float] {
        precondition(rgb.channels == 3, "BGR of a 3-channel image")
        var out = [Float](repeating: 0, count: rgb.pixels.count)
        for i in 0..<(rgb.width * rgb.height) {
            for c in 0..<3 { out[i * 3 + c] = Float(rgb.pixels[i * 3 + 2 - c]) }
        }
        return out
    }

    /// The source index of output index `d` and the weight t of the next one;
    /// t nil where the position is clamped to the first or last index.
    static func tap(_ d: Int, input: Int, output: Int) -> (Int, Float?) {
        let f = (Double(d) + 0.5) * (Double(input) / Double(output)) - 0.5
        let s = Int(f.rounded(.down))
        if s < 0 { return (0, nil) }
        if s >= input - 1 { return (input - 1, nil) }
        return (s, Float(f - Double(s)))
    }
}
