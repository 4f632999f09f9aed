import Data
import Engine
import Foundation
import Support

/// What `infer` does per image inside ShardedMaskRun.
extension Inferencer: MaskMaker {
    var maskDir: String { options.camPng }
    var outputFolders: [(dir: String, flag: String)] {
        [(options.camPng, "--cam-png"), (options.camNpy, "--cam-npy"), (options.colorPng, "--color-png")]
            .compactMap { dir, flag in dir.map { ($0, flag) } }
    }
    var overwrite: Bool { options.overwrite }
    var gtDir: String? { options.gtDir }
    var contextDir: String? { options.contextDir }
    var weightsPath: String { options.weights }
    var progressEvery: Double { options.progressEvery }

    func provenance() throws -> InferenceProvenance { try provenance(model: model, dataset: options.dataset) }

    func outputSuffixes(flag: String) -> [String] { flag == "--cam-npy" ? [".npy"] : [".png"] }

    /// VOC's image-level labels come from Annotations/<id>.xml when --labels gives none.
    func prepare(_ sample: inout Sample) throws {
        if sample.labels.isEmpty {
            sample.labels = try LabelSources.vocLabels(
                xml: "\(options.dataRoot)/Annotations/\(sample.id).xml", classes: classNames)
        }
    }

    /// An image without labels gets an all-background mask ("no-labels").
    func makeMask(_ sample: Sample) throws -> (mask: Image8, note: String?) {
        try checkSize(sample, model: model)
        let noLabels = !sample.labels.contains { $0 > 1e-5 }
        return (try predict(sample), noLabels ? "no-labels" : nil)
    }

    /// Refuses an image whose largest scale exceeds --max-pixels, before any
    /// allocation (a huge image would otherwise end the whole run on memory).
    func checkSize(_ sample: Sample, model: ClassifierModel) throws {
        let size = try ImageCodecs.jpegSize(sample.imagePath)
        let scale = Double(options.scales.max() ?? 1)
        let w = PillowResize.roundHalfEven(Double(size.width) * scale)
        let h = PillowResize.roundHalfEven(Double(size.height) * scale)
        try MaxPixelsLimit.check(
            path: sample.imagePath, width: size.width, height: size.height, scale: scale, scaledWidth: w,
            scaledHeight: h, limit: options.maxPixels)
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
}
