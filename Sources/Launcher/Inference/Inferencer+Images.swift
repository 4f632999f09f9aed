import Data
import Engine
import Foundation
import Support

/// Per image, before any work: is it small enough, and can its outputs of an earlier run stand?
extension Inferencer {
    /// Refuses an image whose largest scale exceeds --max-pixels, before any
    /// allocation (a huge image would otherwise end the whole run on memory).
    func checkSize(_ sample: Sample, model: ClassifierModel) throws {
        let size = try ImageCodecs.jpegSize(sample.imagePath)
        let scale = Double(options.scales.max() ?? 1)
        let w = PillowResize.roundHalfEven(Double(size.width) * scale)
        let h = PillowResize.roundHalfEven(Double(size.height) * scale)
        guard w * h <= options.maxPixels else {
            throw DataError(
                sample.imagePath,
                "image is \(size.width)×\(size.height): at scale \(scale) that is \(w * h) pixels, over --max-pixels "
                    + "\(options.maxPixels); raise --max-pixels if the node has the memory, or lower --scales")
        }
        // Even under a raised --max-pixels, never start what the node cannot hold.
        let needed = Double(w) * Double(h) * model.architecture.inferenceBytesPerPixel / Double(options.widthDivisor)
        let perRank = TrainingMemory.bytesPerRank(comm)
        guard needed <= perRank else {
            throw DataError(
                sample.imagePath,
                String(
                    format: "image is %d×%d: at scale %g it needs about %.1f GB, a node has %.1f GB per rank; "
                        + "lower --scales or --max-pixels",
                    size.width, size.height, scale, needed / 1e9, perRank / 1e9))
        }
    }

    /// An existing mask that can stand: all outputs of the image exist, the
    /// mask decodes at the image's size, and the image is the one it was made
    /// from (its content hash as recorded by the manifest or a progress file;
    /// an image without a record is made again). Anything else is made again.
    func reusableMask(_ sample: Sample, imageHash: String, previous: ManifestEntry?) -> Image8? {
        guard !options.overwrite, outputsExist(sample.id), let previous, previous.imageHash == imageHash,
            !previous.status.hasPrefix("failed")
        else { return nil }
        guard let mask = try? MaskFiles.read("\(options.camPng)/\(sample.id).png"),
            let size = try? ImageCodecs.jpegSize(sample.imagePath), mask.width == size.width, mask.height == size.height
        else { return nil }
        return mask
    }

    /// Done when every requested output of the image exists (a re-run that
    /// adds --cam-npy or --color-png computes the image again).
    func outputsExist(_ id: String) -> Bool {
        let o = options
        let paths = ["\(o.camPng)/\(id).png", o.camNpy.map { "\($0)/\(id).npy" }, o.colorPng.map { "\($0)/\(id).png" }]
            .compactMap { $0 }
        return paths.allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }
}
