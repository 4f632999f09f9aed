import Data

/// Reads the index masks evaluation works on (ground truth, predictions,
/// context regions) and rejects what would be silently wrong.
enum MaskFiles {
    /// A one-channel mask of class or region indices; with `size`, its
    /// dimensions must equal it (context regions must match the ground truth).
    static func read(_ path: String, size: (width: Int, height: Int)? = nil) throws -> Image8 {
        let mask = try ImageCodecs.readPNG(path, indices: true)
        guard mask.channels == 1 else {
            throw DataError(
                path, "expected a one-channel mask of indices (grey or palette PNG), found \(mask.channels) channels")
        }
        if let size, mask.width != size.width || mask.height != size.height {
            throw DataError(
                path,
                "mask is \(mask.width)×\(mask.height), expected \(size.width)×\(size.height) like its ground truth")
        }
        return mask
    }
}
