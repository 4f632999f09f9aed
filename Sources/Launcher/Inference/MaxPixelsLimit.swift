import Data

/// `--max-pixels` of `infer` and `seg-infer`: an image whose largest scale
/// would exceed it fails alone, before it is decoded or anything allocated.
enum MaxPixelsLimit {
    /// Throws a DataError naming `path` when `width`×`height` scaled by
    /// `scale` (to `scaledWidth`×`scaledHeight`) exceeds `limit`.
    static func check(
        path: String, width: Int, height: Int, scale: Double, scaledWidth: Int, scaledHeight: Int, limit: Int
    ) throws {
        let pixels = scaledWidth * scaledHeight
        guard pixels <= limit else {
            throw DataError(
                path,
                "image is \(width)×\(height): at scale \(scale) that is \(pixels) pixels, over --max-pixels "
                    + "\(limit); raise --max-pixels if the node has the memory, or lower --scales")
        }
    }
}
