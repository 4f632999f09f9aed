import Data
import Distributed
import Engine
import Foundation
import Support

extension TrainingLoop {
    /// Reads the list and labels on every rank; each rank checks a strided
    /// share of the files, and all problems are reported together by rank 0
    /// (with `skipBad`, the bad samples are dropped instead). `imageLabels`
    /// false: segmentation, whose label maps are checked but no image-level labels read.
    func loadValidatedDataset(
        _ config: DatasetConfig, skipBad: Bool, requireSaliency: Bool, imageLabels: Bool = true
    ) throws -> Dataset {
        let dataset = try Dataset.load(config)
        let mine = dataset.with(
            samples: dataset.samples.enumerated().filter { $0.offset % comm.size == comm.rank }.map { $0.element })
        let (checked, problems, labelMaps, labelledMaps) = mine.validatedCountingLabelMaps(
            requireSaliency: requireSaliency, imageLabels: imageLabels)
        let messages = problems.map { $0.description }
        if skipBad {
            let dropped = Set(try comm.allGatherStrings(problems.map { $0.path }))
            if !dropped.isEmpty {
                log.info("--skip-bad: dropping \(dropped.count) sample(s):\n" + messages.joined(separator: "\n"))
            }
        } else {
            try RankDiscipline.agree(
                comm, problems: messages,
                title: "the dataset has problems; fix them or pass --skip-bad")
        }
        // Label maps that are all 255 (ignore) on every rank: the loss would be 0 at every step.
        let anyMap = comm.allreduceMax(labelMaps > 0 ? 1 : 0) > 0
        let anyLabelled = comm.allreduceMax(labelledMaps > 0 ? 1 : 0) > 0
        if anyMap && !anyLabelled, let dir = config.labelDir {
            let problem =
                "\(dir): every label map is all 255 (ignore): no pixel has a class to learn; give maps of class "
                + "indices (0 = background, 255 only where the class is unknown)"
            try RankDiscipline.agree(
                comm, problems: comm.isRoot ? [problem] : [], title: "the label maps hold no labelled pixel")
        }
        // Every rank needs every label; gather the validated shares in dataset order.
        let keptIds = Set(try comm.allGatherStrings(checked.samples.map { $0.id }))
        var labels: [String: [Float]] = [:]
        for s in checked.samples { labels[s.id] = s.labels }
        let allLabels = try comm.allGatherLabels(labels)
        let samples = dataset.samples.compactMap { s -> Sample? in
            guard keptIds.contains(s.id), let l = allLabels[s.id] else { return nil }
            var copy = s
            copy.labels = l
            return copy
        }
        log.info("dataset: \(samples.count) images, \(dataset.numClasses) classes (\(config.listFile))")
        let ids = Data(samples.map(\.id).joined(separator: "\n").utf8)
        datasetSignature = " images \(samples.count) \(ids.withUnsafeBytes { ContentHash.hex($0) })"
        return dataset.with(samples: samples)
    }
}
