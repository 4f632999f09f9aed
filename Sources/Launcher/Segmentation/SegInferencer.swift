import Data
import DenseCRF
import Distributed
import Engine
import Foundation
import Support

/// `seg-infer`: DeepLab-v2 masks of whole images as deeplab-pytorch's
/// evaluation makes them — the multi-scale max logits (1/8 resolution),
/// upsampled bilinearly (align_corners false) to the image, softmax, argmax —
/// optionally averaged over more scales and the flip, optionally refined by
/// the dense CRF; sharded, resumable and scored by ShardedMaskRun as `infer`.
public final class SegInferencer {
    let options: SegInferOptions
    let comm: Communicator
    let log: RankLog
    var model: DeepLabV2Model!
    var normalization = BGRNormalization.caffe
    var provenanceValue: SegInferProvenance!

    public init(options: SegInferOptions, comm: Communicator) {
        self.options = options
        self.comm = comm
        log = RankLog(rank: comm.rank)
    }

    public func run() throws {
        let o = options
        let threads = ThreadPlan.configure(requested: o.threads, convAlgorithm: o.convAlgorithm, comm: comm, log: log)
        BufferPool.shared.keepsReleasedBuffers = false  // every image has its own sizes
        let dataset = try Dataset.load(
            DatasetConfig(
                kind: o.dataset, dataRoot: o.dataRoot, listFile: o.inferList, imageDir: o.imgDir,
                classNamesFile: o.classNames, imageLabels: false))
        let classNames = ["background"] + dataset.classNames
        try loadModel(classes: classNames.count)
        let weightsHash = ContentHash.hex(
            UnsafeRawBufferPointer(start: model.store.values, count: model.store.count * MemoryLayout<Float>.stride))
        provenanceValue = SegInferProvenance(
            epsDistVersion: EpsDistVersion.current, weightsHash: weightsHash, weightsFile: o.weights,
            arch: "deeplabv2-\(model.spec.name)", widthDivisor: model.spec.widthDivisor, dataset: o.dataset.rawValue,
            classNames: classNames, scales: o.scales, flip: o.flip, crf: try o.crfSummary())
        try ShardedMaskRun(maker: self, comm: comm, log: log).run(
            dataset, classNames: classNames,
            describe: "eps-dist seg-infer: \(dataset.samples.count) images on \(comm.size) rank(s) × \(threads) "
                + "thread(s), deeplabv2-\(model.spec.name), scales \(o.scales)\(o.flip ? " + flip" : "")"
                + (o.useCRF ? ", dense CRF" : ""))
    }

    /// Rank 0 reads the weights (network and width from the checkpoint unless
    /// given) and broadcasts them.
    func loadModel(classes: Int) throws {
        let o = options
        let file = try RankDiscipline.onRoot(comm) { try WeightFiles.read(o.weights) }
        let recorded = comm.broadcast(
            string: [file?.metadata["arch"] ?? "", file?.metadata["width_divisor"] ?? ""].joined(separator: " "),
            root: 0
        )
        .split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard let arch = o.arch ?? SegArchitecture(rawValue: recorded[0]) else {
            throw UsageError(
                "\(o.weights) does not record its network ('\(recorded[0])'); pass --arch (\(SegArchitecture.helpList))"
            )
        }
        let divisor = o.widthDivisor ?? (recorded.count > 1 ? Int(recorded[1]) : nil) ?? 1
        normalization = arch.inputNormalization
        model = DeepLabV2Model(
            spec: arch.spec.narrowed(by: divisor), numClasses: classes, batchNorm: arch.batchNorm,
            headGroups: !arch.trainsFromScratch)
        try RankDiscipline.onRoot(comm) {
            _ = try DeepLabInitialWeights.restoreTrained(file!, into: model, path: o.weights)
        }
        comm.broadcast(model.store.values, count: model.store.count, root: 0)
    }
}

extension SegInferencer: MaskMaker {
    var maskDir: String { options.out }
    var outputFolders: [(dir: String, flag: String)] {
        [(options.out, "--out")] + (options.colorPng.map { [($0, "--color-png")] } ?? [])
    }
    var overwrite: Bool { options.overwrite }
    var gtDir: String? { options.gtDir }
    var contextDir: String? { nil }
    var weightsPath: String { options.weights }
    var progressEvery: Double { options.progressEvery }
    func provenance() throws -> SegInferProvenance { provenanceValue }
    func outputSuffixes(flag: String) -> [String] { [".png"] }
    func prepare(_ sample: inout Sample) throws {}

    func makeMask(_ sample: Sample) throws -> (mask: Image8, note: String?) {
        try checkSize(sample.imagePath)
        let image = try ImageCodecs.readJPEG(sample.imagePath)
        let probabilities = classProbabilities(image)
        try probabilities.withUnsafeBufferPointer { try requireFinite($0, of: sample) }
        let classes = model.numClasses
        let pixels: [UInt8]
        if options.useCRF {
            do {
                let unary = try CRFUnary.fromProbabilities(probabilities)
                let q = try options.crf.resolved(defaultSet: "deeplab").inference(
                    rgb: image.pixels, width: image.width, height: image.height, unary: unary, labels: classes)
                pixels = DenseCRF.labelMap(q, labels: classes).map(UInt8.init)
            } catch let error as DenseCRFError {
                throw DataError(sample.imagePath, "dense CRF: \(error)")
            }
        } else {
            pixels = DenseCRF.labelMap(probabilities, labels: classes).map(UInt8.init)
        }
        let mask = Image8(width: image.width, height: image.height, channels: 1, pixels: pixels)
        if let dir = options.colorPng {
            try ImageCodecs.writePNG(mask, to: "\(dir)/\(sample.id).png", palette: ImageCodecs.vocPalette)
        }
        try ImageCodecs.writePNG(mask, to: "\(options.out)/\(sample.id).png")
        return (mask, nil)
    }

    /// Class probabilities [classes, H, W] of an image: per scale (and flip),
    /// the network's multi-scale max logits upsampled to the image, softmax; averaged.
    func classProbabilities(_ image: Image8) -> [Float] {
        let (h, w) = (image.height, image.width)
        let full = Tensor(
            shape: [1, 3, h, w], data: SegmentationAugmentation.evalImage(image, normalization: normalization))
        var sum = [Float](repeating: 0, count: model.numClasses * h * w)
        var count: Float = 0
        for scale in options.scales {
            let input =
                scale == 1
                ? full
                : BilinearResize.forward(full, height: Self.scaled(h, scale), width: Self.scaled(w, scale))
            for flipped in options.flip ? [false, true] : [false] {
                var logits = model.inferenceLogits(flipped ? input.flippedHorizontally() : input)
                if flipped { logits = logits.flippedHorizontally() }
                let probabilities = ChannelSoftmax.forward(BilinearResize.forward(logits, height: h, width: w))
                probabilities.withUnsafeBufferPointer { p in for i in 0..<sum.count { sum[i] += p[i] } }
                count += 1
            }
        }
        return count == 1 ? sum : sum.map { $0 / count }
    }

    /// Refuses an image whose largest scale exceeds --max-pixels, before it is decoded.
    func checkSize(_ path: String) throws {
        let size = try ImageCodecs.jpegSize(path)
        let scale = options.scales.max() ?? 1
        try MaxPixelsLimit.check(
            path: path, width: size.width, height: size.height, scale: Double(scale),
            scaledWidth: Self.scaled(size.width, scale), scaledHeight: Self.scaled(size.height, scale),
            limit: options.maxPixels)
    }

    /// A side at a test-time scale, as `classProbabilities` resizes it.
    static func scaled(_ side: Int, _ scale: Float) -> Int { max(Int((Float(side) * scale).rounded()), 1) }
}
