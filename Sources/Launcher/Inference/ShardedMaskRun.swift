import Data
import Distributed
import Engine
import Foundation
import Support

/// What a sharded mask-writing command (`infer`, `seg-infer`) does besides
/// the shared loop: its folders, provenance and how it makes one image's mask.
protocol MaskMaker: AnyObject {
    associatedtype Provenance: OutputProvenance
    /// The masks' folder: manifest.json, provenance.json and report.json live there.
    var maskDir: String { get }
    /// Every output folder with its flag, the masks' first.
    var outputFolders: [(dir: String, flag: String)] { get }
    var overwrite: Bool { get }
    var gtDir: String? { get }
    /// Context region masks for the confusion ratio (infer only).
    var contextDir: String? { get }
    var weightsPath: String { get }
    var progressEvery: Double { get }
    /// The provenance of this run (rank 0, after the weights are loaded).
    func provenance() throws -> Provenance
    /// The file suffixes --overwrite clears in the folder of `flag`.
    func outputSuffixes(flag: String) -> [String]
    /// Before anything else of an image (infer reads its VOC labels here).
    func prepare(_ sample: inout Sample) throws
    /// Computes and writes the outputs of one image; `note` replaces the
    /// manifest status "written" (e.g. "no-labels").
    func makeMask(_ sample: Sample) throws -> (mask: Image8, note: String?)
}

extension MaskMaker {
    /// Refuses a network output holding NaN or infinity (diverged or damaged weights give it): it
    /// would become all-background masks, NaN maps and a score, without a word.
    func requireFinite(_ values: UnsafeBufferPointer<Float>, of sample: Sample) throws {
        guard let bad = values.firstIndex(where: { !$0.isFinite }) else { return }
        throw DataError(
            weightsPath,
            "the network's output for \(sample.id) holds \(values[bad]): the weights are diverged or damaged "
                + "(train again, e.g. with a lower --lr)")
    }
}

/// The loop `infer` and `seg-infer` share: every rank takes a share of the
/// list balanced by image area, reuses masks of the same settings and image
/// (resume), writes its masks atomically and records them in a per-rank
/// progress file; rank 0 merges the manifest and the ranks' confusion
/// matrices into one report (with --gt-dir). Bad images fail alone and are
/// listed; the run then exits 2 (bad input) or 1 (an output could not be written).
struct ShardedMaskRun<Maker: MaskMaker> {
    typealias ManifestEntry = InferenceManifest.Entry
    let maker: Maker
    let comm: Communicator
    let log: RankLog

    /// `classNames` with the background first; `describe` is the first log line.
    func run(_ dataset: Dataset, classNames: [String], describe: String) throws {
        let maskDir = maker.maskDir
        // Rank 0 checks every output folder, then claims them, before any rank writes.
        let previousJSON = try RankDiscipline.onRoot(comm) { () -> Data in
            let provenance = try maker.provenance()
            for (dir, flag) in maker.outputFolders {
                let removed = try OutputFolder.claim(dir, flag: flag)
                if !removed.isEmpty { log.info("removed \(removed.count) leftover temporary file(s) in \(dir)") }
                try provenance.check(dir, flag: flag, overwrite: maker.overwrite)
            }
            if maker.overwrite {
                for (dir, flag) in maker.outputFolders {
                    try InferenceManifest.clear(dir, outputSuffixes: maker.outputSuffixes(flag: flag))
                }
            }
            let previous = try InferenceManifest.read(in: maskDir)
            for (dir, _) in maker.outputFolders { try provenance.write(in: dir) }
            log.info("masks: \(provenance.summary)")
            return try JSONEncoder().encode(previous)
        }
        let previous = try JSONDecoder().decode(
            [String: ManifestEntry].self, from: Data(comm.broadcast(bytes: [UInt8](previousJSON ?? Data()), root: 0)))
        let progress = try InferenceManifest.Progress(dir: maskDir, rank: comm.rank)
        let shards = try assignShards(dataset)
        let mine = dataset.samples.indices.filter { shards[$0] == comm.rank }
        log.info(describe)

        let classes = classNames.count
        var confusion = ConfusionMatrix(numClasses: classes)
        let scorer = MaskEvaluation(numClasses: classes, predictionIgnore: nil)
        var context = ContextConfusion(
            numClasses: classes,
            regionNames: try maker.contextDir.map { try ContextConfusion.regionNames(contextDir: $0) } ?? ["none"])
        var entries: [ManifestEntry] = []
        var problems: [String] = []
        var writeFailures = 0  // I/O failures (exit 1), not bad input
        let progressLine = ImageProgress(
            what: Maker.Provenance.command, rank: comm.rank, ranks: comm.size,
            total: mine.count, interval: maker.progressEvery)
        for (n, index) in mine.enumerated() {
            var sample = dataset.samples[index]
            let t0 = Date()
            do {
                try maker.prepare(&sample)
                let mask: Image8
                var status = "written"
                let imageHash = try inputsHash(sample)
                if let reused = reusableMask(
                    sample, imageHash: imageHash, previous: previous[sample.id], classes: classes - 1)
                {
                    mask = reused
                    status = "existing"
                } else {
                    let stale = outputsExist(sample.id) && !maker.overwrite
                    let made = try maker.makeMask(sample)
                    mask = made.mask
                    status = made.note ?? (stale ? "redone (stale)" : "written")
                }
                if let gtDir = maker.gtDir {
                    try scorer.add(
                        groundTruthPath: "\(gtDir)/\(sample.id).png", prediction: mask,
                        predictionPath: "\(maskDir)/\(sample.id).png",
                        contextPath: maker.contextDir.map { "\($0)/\(sample.id).png" }, into: &confusion,
                        context: &context)
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
                try? InferenceManifest.refresh(in: maskDir, order: dataset.samples.map(\.id), ranks: comm.size)
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
                all, order: dataset.samples.map(\.id), ranks: comm.size, weights: maker.weightsPath, in: maskDir)
            // Failed images are reported below; with none, an unscored evaluation is an error itself.
            if allProblems.isEmpty && maker.gtDir != nil {
                try MaskEvaluation.requireScored(confusion, images: all.count)
            }
            // A score over only the images that worked would be a score of another list: none then.
            if maker.gtDir != nil && allProblems.isEmpty {
                print(EvalReport.table(confusion, classNames: classNames))
                if maker.contextDir != nil { print(EvalReport.contextTable(context, classNames: classNames)) }
                var report = EvalReport.json(
                    confusion, classNames: classNames, numImages: all.count,
                    context: maker.contextDir != nil ? context : nil)
                report["provenance"] = try Maker.Provenance.read(in: maskDir).map { try $0.jsonObject() }
                try EvalReport.writeJSON(report, to: "\(maskDir)/report.json")
            }
            let noLabel = all.filter { $0.status == "no-labels" }.count
            if noLabel > 0 {
                log.warn("\(noLabel) image(s) had no label and got an all-background mask (see manifest.json)")
            }
            if !allProblems.isEmpty {
                let message =
                    "\(allProblems.count) image(s) failed (listed in \(maskDir)/manifest.json):\n"
                    + allProblems.joined(separator: "\n")
                if anyWriteFailure { throw CommandError(message: message) }
                throw UsageError(message)
            }
            log.info(
                "wrote \(all.filter { $0.status != "existing" }.count) mask(s), "
                    + "\(all.filter { $0.status == "existing" }.count) already present: \(maskDir)"
            )
        }
    }

    /// An existing mask that can stand: all outputs of the image exist, the
    /// mask decodes at the image's size, and the image is the one it was made
    /// from (its content hash as recorded by the manifest or a progress file;
    /// an image without a record is made again). Anything else is made again.
    func reusableMask(_ sample: Sample, imageHash: String, previous: ManifestEntry?, classes: Int) -> Image8? {
        guard !maker.overwrite, outputsExist(sample.id), let previous, previous.imageHash == imageHash,
            !previous.status.hasPrefix("failed")
        else { return nil }
        guard let mask = try? MaskFiles.read("\(maker.maskDir)/\(sample.id).png"),
            let size = try? ImageCodecs.jpegSize(sample.imagePath), mask.width == size.width, mask.height == size.height
        else { return nil }
        // Saved maps that were cut or emptied are made again, like a damaged mask.
        for (dir, flag) in maker.outputFolders where maker.outputSuffixes(flag: flag) == [".npy"] {
            let path = "\(dir)/\(sample.id).npy"
            guard (try? SavedMaps.load(path, classes: classes, height: size.height, width: size.width)) != nil else {
                return nil
            }
        }
        return mask
    }

    /// What a mask is made from besides the settings: the image's bytes and, when it has any, its
    /// image-level labels (an edited annotation must not reuse the old mask).
    func inputsHash(_ sample: Sample) throws -> String {
        let image = try InputFile.read(sample.imagePath, what: "an image").withUnsafeBytes { ContentHash.hex($0) }
        let labels = sample.labels.indices.filter { sample.labels[$0] > 1e-5 }
        return sample.labels.isEmpty ? image : image + " labels " + labels.map(String.init).joined(separator: ",")
    }

    /// Done when every requested output of the image exists (a re-run that
    /// adds an output folder computes the image again).
    func outputsExist(_ id: String) -> Bool {
        maker.outputFolders.allSatisfy { dir, flag in
            maker.outputSuffixes(flag: flag).contains { FileManager.default.fileExists(atPath: "\(dir)/\(id)\($0)") }
        }
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
