import Data
import DenseCRF
import Distributed
import Engine
import Foundation
import Support

/// Sharded multi-scale CAM inference (docs/REFERENCE.md, section 5; outputs: docs/ARCHITECTURE.md, "Files"): every rank
/// takes a share of the list balanced by image area, skips masks that exist
/// (resume), writes its masks atomically; rank 0 merges the manifest and the
/// ranks' confusion matrices into one report.
public final class Inferencer {
    /// The flags; `scales` filled in from the checkpoint when not given.
    var options: InferOptions
    let comm: Communicator
    let log: RankLog

    /// The network and the object classes, once loaded.
    var model: ClassifierModel!
    var classNames: [String] = []
    /// The checkpoint's weights, hashed before inference rewrites them (provenance).
    var weightsHash = ""

    public init(options: InferOptions, comm: Communicator) {
        self.options = options
        self.comm = comm
        log = RankLog(rank: comm.rank)
    }

    public func run() throws {
        let kind = options.dataset
        let threads = ThreadPlan.configure(
            requested: options.threads, convAlgorithm: options.convAlgorithm, comm: comm, log: log)
        let dataset = try Dataset.load(
            DatasetConfig(
                kind: kind, dataRoot: options.dataRoot, listFile: options.inferList,
                imageDir: options.imgDir, labelsFile: options.labels, classNamesFile: options.classNames))
        let (model, trainingResize) = try loadModel(numClasses: dataset.numClasses)
        if options.scales.isEmpty {
            options.scales = InferOptions.defaultScales(trainingResize: trainingResize)
            if let r = trainingResize, options.scales != InferOptions.referenceScales {
                log.info(
                    "scales \(options.scales.map { String($0) }.joined(separator: " ")): the reference's 0.5 1 1.5 2 "
                        + "for the checkpoint's training long side \(r[0])–\(r[1]) (the reference's 256–512)")
            }
        }
        weightsHash = Self.weightsHash(model)
        Self.prepareForInference(model)
        self.model = model
        classNames = dataset.classNames
        try ShardedMaskRun(maker: self, comm: comm, log: log).run(
            dataset, classNames: ["background"] + dataset.classNames,
            describe: "eps-dist infer: \(dataset.samples.count) images on \(comm.size) rank(s) × \(threads) "
                + "thread(s), scales \(options.scales), \(model.method.rawValue) maps")
    }

    /// The pseudo-mask of one image (and its optional .npy and colour PNG).
    func predict(_ sample: Sample) throws -> Image8 {
        let o = options
        let image = try ImageCodecs.readJPEG(sample.imagePath)
        let fusion = MultiScaleCAM(model: model, scales: o.scales).fuse(image, labels: sample.labels)
        try fusion.sum.withUnsafeBufferPointer { try requireFinite($0, of: sample) }
        let norm = fusion.normalized()
        let present = (0..<model.numClasses).map { sample.labels[$0] > 1e-5 }
        let cams = norm.withUnsafeBufferPointer {
            CAMArrays(dense: $0, classes: model.numClasses, height: image.height, width: image.width, present: present)
        }
        let pixels: [UInt8]
        if o.useCRF {
            do {
                pixels = try CRFRefinement.mask(
                    rgb: image.pixels, width: image.width, height: image.height, classIndices: cams.classIndices,
                    maps: cams.maps, parameters: try o.crf.resolved(), background: try o.crfBackground())
            } catch let error as DenseCRFError {
                throw DataError(sample.imagePath, "dense CRF: \(error)")
            }
        } else {
            pixels = fusion.mask(threshold: o.thr, normalized: norm)
        }
        let mask = Image8(width: image.width, height: image.height, channels: 1, pixels: pixels)
        if let dir = o.camNpy {
            let path = "\(dir)/\(sample.id).npy"
            switch o.camNpyFormat {
            case .dense: try NumpyWriter.write(norm, to: path)
            case .dict: try AtomicFile.write(cams.encoded(), to: path)
            }
        }
        if let dir = o.colorPng {
            try ImageCodecs.writePNG(mask, to: "\(dir)/\(sample.id).png", palette: ImageCodecs.vocPalette)
        }
        try ImageCodecs.writePNG(mask, to: "\(o.camPng)/\(sample.id).png")
        return mask
    }

    /// What inference changes in a loaded network (after its weights are
    /// hashed): every BatchNorm that follows a convolution folded into it.
    static func prepareForInference(_ model: ClassifierModel) {
        // Every image and scale has its own sizes: released buffers are freed
        // (large ones unmapped, MappedMemory) instead of kept in the
        // size-keyed cache made for repeating training steps.
        BufferPool.shared.keepsReleasedBuffers = false
        MemoryPolicy.returnFreedMemory()
        BatchNormFolding.fold(model.backbone.layers)
    }

    /// Builds the network and loads the weights on rank 0 (errors reported
    /// once), then broadcasts them; also returns the training long-side
    /// range the checkpoint records (nil for weights of other origin).
    func loadModel(numClasses: Int) throws -> (ClassifierModel, trainingResize: [Int]?) {
        let o = options
        let file = try RankDiscipline.onRoot(comm) { () -> SafeTensorsFile in
            let file = try WeightFiles.read(o.weights)
            // The network's widths must be the trained ones: say so, not a list of every mismatched shape.
            let recorded = file.metadata["config"].flatMap { try? FlatYAML.parse($0, path: o.weights) }
            if let divisor = recorded?["width_divisor"].flatMap(Int.init), divisor != o.widthDivisor {
                throw UsageError(
                    "\(o.weights) was trained with --width-divisor \(divisor); pass --width-divisor \(divisor)")
            }
            return file
        }
        let resize = file?.metadata["config"].flatMap { try? FlatYAML.parse($0, path: o.weights)["resize_size"] }
        let meta = comm.broadcast(
            string: [file?.metadata["arch"] ?? "", file?.metadata["method"] ?? "", resize ?? ""].joined(separator: " "),
            root: 0
        )
        .split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        /// The flag, else what the checkpoint recorded, else the default.
        func pick<T: RawRepresentable & CaseIterable>(_ flag: T?, recorded: String, _ fallback: T) throws -> T
        where T.RawValue == String {
            if let flag { return flag }
            if recorded.isEmpty { return fallback }
            guard let value = T(rawValue: recorded) else {
                throw UsageError(
                    "\(o.weights): records '\(recorded)', which this eps-dist does not know (\(T.helpList)); "
                        + "pass it explicitly"
                )
            }
            return value
        }
        let arch = try pick(o.arch, recorded: meta[0], Architecture.resnet38)
        let method = try pick(o.method, recorded: meta.count > 1 ? meta[1] : "", Method.eps)
        let model = ClassifierModel(
            architecture: arch, method: method, numClasses: numClasses, widthDivisor: o.widthDivisor)
        try RankDiscipline.onRoot(comm) { _ = try Checkpoint.restore(file!, into: model, path: o.weights) }
        comm.broadcast(model.store.values, count: model.store.count, root: 0)
        let recorded = meta.count > 2 ? meta[2...].joined(separator: " ") : ""
        let sides = recorded.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        return (model, sides.count == 2 && sides[0] > 0 && sides[0] <= sides[1] ? sides : nil)
    }
}
