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

    public init(options: InferOptions, comm: Communicator) {
        self.options = options
        self.comm = comm
        log = RankLog(rank: comm.rank)
    }

    typealias ManifestEntry = InferenceManifest.Entry

    public func run() throws {
        let kind = options.dataset
        let threads = ThreadPlan.configure(requested: options.threads, comm: comm, log: log)
        // Every image and scale has its own sizes: released buffers go back to
        // malloc, which can reuse them for any size, instead of to the
        // size-keyed cache made for repeating training steps.
        BufferPool.shared.keepsReleasedBuffers = false
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
        let o = options
        // Rank 0 checks every output folder, then claims them, before any rank writes.
        let folders = [(o.camPng, "--cam-png"), (o.camNpy, "--cam-npy"), (o.colorPng, "--color-png")]
            .compactMap { dir, flag in dir.map { ($0, flag) } }
        let previousJSON = try RankDiscipline.onRoot(comm) { () -> Data in
            let provenance = try provenance(model: model, dataset: kind)
            for (dir, flag) in folders {
                let removed = try OutputFolder.prepare(dir, flag: flag)
                if !removed.isEmpty { log.info("removed \(removed.count) leftover temporary file(s) in \(dir)") }
                try provenance.check(dir, flag: flag, overwrite: o.overwrite)
            }
            if o.overwrite {
                for (dir, flag) in folders {
                    try InferenceManifest.clear(dir, outputSuffixes: flag == "--cam-npy" ? [".npy"] : [".png"])
                }
            }
            let previous = try InferenceManifest.read(in: o.camPng)
            for (dir, _) in folders { try provenance.write(in: dir) }
            log.info("masks: \(provenance.summary)")
            return try JSONEncoder().encode(previous)
        }
        let previous = try JSONDecoder().decode(
            [String: ManifestEntry].self, from: Data(comm.broadcast(bytes: [UInt8](previousJSON ?? Data()), root: 0)))
        let progress = try InferenceManifest.Progress(dir: o.camPng, rank: comm.rank)
        let shards = try assignShards(dataset)
        let mine = dataset.samples.indices.filter { shards[$0] == comm.rank }
        log.info(
            "eps-dist infer: \(dataset.samples.count) images on \(comm.size) rank(s) × \(threads) thread(s), "
                + "scales \(o.scales), \(model.method.rawValue) maps"
        )

        var confusion = ConfusionMatrix(numClasses: dataset.numClasses + 1)
        let scorer = MaskEvaluation(numClasses: dataset.numClasses + 1, predictionIgnore: nil)
        var context = ContextConfusion(
            numClasses: dataset.numClasses + 1,
            regionNames: try o.contextDir.map { try ContextConfusion.regionNames(contextDir: $0) } ?? ["none"])
        var entries: [ManifestEntry] = []
        var problems: [String] = []
        var writeFailures = 0  // I/O failures (exit 1), not bad input
        let progressLine = ImageProgress(
            what: "infer", rank: comm.rank, ranks: comm.size, total: mine.count, interval: o.progressEvery)
        for (n, index) in mine.enumerated() {
            var sample = dataset.samples[index]
            let t0 = Date()
            do {
                if sample.labels.isEmpty {
                    sample.labels = try LabelSources.vocLabels(
                        xml: "\(o.dataRoot)/Annotations/\(sample.id).xml", classes: dataset.classNames)
                }
                let mask: Image8
                var status = "written"
                let imageHash = try InputFile.read(sample.imagePath, what: "an image").withUnsafeBytes {
                    ContentHash.hex($0)
                }
                if let reused = reusableMask(sample, imageHash: imageHash, previous: previous[sample.id]) {
                    mask = reused
                    status = "existing"
                } else {
                    try checkSize(sample, model: model)
                    let noLabels = !sample.labels.contains { $0 > 1e-5 }
                    if noLabels {
                        status = "no-labels"
                    } else if outputsExist(sample.id) && !o.overwrite {
                        status = "redone (stale)"
                    }
                    mask = try predict(sample, model: model)
                }
                if let gtDir = o.gtDir {
                    try scorer.add(
                        groundTruthPath: "\(gtDir)/\(sample.id).png", prediction: mask,
                        predictionPath: "\(o.camPng)/\(sample.id).png",
                        contextPath: o.contextDir.map { "\($0)/\(sample.id).png" }, into: &confusion, context: &context)
                }
                let entry = ManifestEntry(
                    id: sample.id, shard: comm.rank, status: status, seconds: Date().timeIntervalSince(t0),
                    width: mask.width, height: mask.height, imageHash: imageHash)
                try progress.append(entry)
                entries.append(entry)
            } catch {
                problems.append("\(error)")
                if ExitStatus.code(for: error) == ExitStatus.failure { writeFailures += 1 }
                entries.append(
                    ManifestEntry(
                        id: sample.id, shard: comm.rank, status: "failed: \(error)",
                        seconds: Date().timeIntervalSince(t0)))
            }
            if progressLine.finished(n + 1) && comm.isRoot {
                // What every rank has finished so far, in manifest.json (complete: false) for a killed run.
                try? InferenceManifest.refresh(in: o.camPng, order: dataset.samples.map(\.id), ranks: comm.size)
            }
        }
        comm.allreduceSum(&confusion.counts)
        comm.allreduceSum(&context.regionAsClass)
        comm.allreduceSum(&context.truePositives)
        let all = try comm.allGather(entries).flatMap { $0 }
        let allProblems = try comm.allGatherStrings(problems)
        let anyWriteFailure = comm.allreduceMax(writeFailures) > 0
        try RankDiscipline.onRoot(comm) {
            try InferenceManifest.write(
                all, order: dataset.samples.map(\.id), ranks: comm.size, weights: o.weights, in: o.camPng)
            // Failed images are reported below; with none, an unscored evaluation is an error itself.
            if allProblems.isEmpty && o.gtDir != nil { try MaskEvaluation.requireScored(confusion, images: all.count) }
            // A score over only the images that worked would be a score of another list: none then.
            if o.gtDir != nil && allProblems.isEmpty {
                let names = ["background"] + dataset.classNames
                print(EvalReport.table(confusion, classNames: names))
                if o.contextDir != nil { print(EvalReport.contextTable(context, classNames: names)) }
                var report = EvalReport.json(
                    confusion, classNames: names, numImages: all.count, context: o.contextDir != nil ? context : nil)
                report["provenance"] = try InferenceProvenance.read(in: o.camPng).map { try $0.jsonObject() }
                try EvalReport.writeJSON(report, to: "\(o.camPng)/report.json")
            }
            let noLabel = all.filter { $0.status == "no-labels" }.count
            if noLabel > 0 {
                log.warn("\(noLabel) image(s) had no label and got an all-background mask (see manifest.json)")
            }
            if !allProblems.isEmpty {
                let message =
                    "\(allProblems.count) image(s) failed (listed in \(o.camPng)/manifest.json):\n"
                    + allProblems.joined(separator: "\n")
                if anyWriteFailure { throw CommandError(message: message) }
                throw UsageError(message)
            }
            log.info(
                "wrote \(all.filter { $0.status != "existing" }.count) mask(s), "
                    + "\(all.filter { $0.status == "existing" }.count) already present: \(o.camPng)"
            )
        }
    }

    /// The pseudo-mask of one image (and its optional .npy and colour PNG).
    func predict(_ sample: Sample, model: ClassifierModel) throws -> Image8 {
        let o = options
        let image = try ImageCodecs.readJPEG(sample.imagePath)
        var fusion = CAMFusion(
            numClasses: model.numClasses, height: image.height, width: image.width,
            labels: sample.labels, method: model.method)
        if sample.labels.contains(where: { $0 > 1e-5 }) {
            for scale in o.scales {
                let w = PillowResize.roundHalfEven(Double(image.width) * Double(scale))
                let h = PillowResize.roundHalfEven(Double(image.height) * Double(scale))
                let resized = PillowResize.resize(image, width: max(w, 1), height: max(h, 1))
                for flipped in [false, true] {
                    let input = flipped ? resized.flippedHorizontally() : resized
                    let planes = EPSAugmentation.normalizedPlanes(input, model.architecture.inputNormalization).flatMap
                    {
                        $0
                    }
                    let maps = model.inferenceMaps(Tensor(shape: [1, 3, input.height, input.width], data: planes))
                    fusion.add(maps: maps, flipped: flipped)
                }
            }
        }
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

    /// Builds the network and loads the weights on rank 0 (errors reported
    /// once), then broadcasts them; also returns the training long-side
    /// range the checkpoint records (nil for weights of other origin).
    func loadModel(numClasses: Int) throws -> (ClassifierModel, trainingResize: [Int]?) {
        let o = options
        let file = try RankDiscipline.onRoot(comm) { try WeightFiles.read(o.weights) }
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

    /// Greedy longest-first assignment of images to ranks by pixel count;
    /// every rank computes the same answer from the gathered sizes.
    func assignShards(_ dataset: Dataset) throws -> [Int] {
        var areas: [Int: Int] = [:]
        for (i, s) in dataset.samples.enumerated() where i % comm.size == comm.rank {
            areas[i] = (try? ImageCodecs.jpegSize(s.imagePath)).map { $0.width * $0.height } ?? 0
        }
        let all = try comm.allGather(areas).reduce(into: [Int: Int]()) { $0.merge($1) { a, _ in a } }
        let order = dataset.samples.indices.sorted { (all[$0] ?? 0, -$0) > (all[$1] ?? 0, -$1) }
        var load = [Int](repeating: 0, count: comm.size)
        var shard = [Int](repeating: 0, count: dataset.samples.count)
        for i in order {
            let target = load.indices.min { (load[$0], $0) < (load[$1], $1) }!
            shard[i] = target
            load[target] += max(all[i] ?? 0, 1)
        }
        return shard
    }

}
