import ArgumentParser
import Data
import Distributed
import Foundation
import Support

/// `eps-dist bench-data`: images/s of the decode + augmentation pipeline
/// with a given number of worker threads (what one rank can feed its step).
struct BenchDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-data", abstract: "Measure the loader: decoded and augmented images per second.")

    @Option(help: "VOC dataset root.") var dataRoot: String
    @Option(help: "Image ids.") var trainList: String
    @Option(help: "Saliency folder.") var saliencyRoot: String
    @Option(help: "Crop size.") var cropSize: Int = 448
    @Option(parsing: .upToNextOption, help: "Random long side LO HI.") var resizeSize: [Int] = [256, 512]
    @Option(help: "Images per batch.") var batchSize: Int = 8
    @Option(help: "Batches to time.") var batches: Int = 20
    @Option(parsing: .upToNextOption, help: "Worker counts to compare.") var workers: [Int] = [1, 2]
    @Option(help: "Write the figures as JSON.") var json: String?

    func run() throws {
        RankDiscipline.run(SingleProcessCommunicator()) {
            try validate()
            let dataset = try Dataset.load(
                DatasetConfig(kind: .voc, dataRoot: dataRoot, listFile: trainList, saliencyRoot: saliencyRoot))
            let (checked, problems) = dataset.validated(requireSaliency: true)
            guard problems.isEmpty else { throw UsageError(problems.map(\.description).joined(separator: "\n")) }
            guard checked.samples.count >= batchSize else {
                throw UsageError(
                    "\(trainList): \(checked.samples.count) usable images, fewer than one batch of \(batchSize); "
                        + "lower --batch-size")
            }
            let sampler = GlobalSampler(datasetSize: checked.samples.count, globalBatch: batchSize, seed: 0)
            let augmentation = EPSAugmentation(cropSize: cropSize, resizeRange: resizeSize[0]...resizeSize[1])
            var results: [[String: Any]] = []
            for w in workers {
                let loader = BatchLoader(
                    dataset: checked, sampler: sampler, augmentation: augmentation, rank: 0, ranks: 1,
                    withSaliency: true, steps: 0..<batches, workers: w)
                let start = Date()
                loader.start()
                for step in 0..<batches { _ = try loader.next(step: step) }
                let seconds = Date().timeIntervalSince(start)
                loader.stop()
                let rate = Double(batches * batchSize) / seconds
                print(
                    String(
                        format: "loader: %d worker(s): %.1f images/s (crop %d, %d batches of %d)", w, rate, cropSize,
                        batches, batchSize))
                results.append(["workers": w, "images_per_s": rate])
            }
            if let json { try EvalReport.writeJSON(["crop_size": cropSize, "results": results], to: json) }
        }
    }

    /// The value checks of `train` for the flags both have, plus the benchmark's own.
    func validate() throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw UsageError(message()) }
        }
        try TrainSettings.validateCrop(cropSize, resizeSize: resizeSize)
        try require((1...1024).contains(batchSize), "--batch-size must lie in 1…1024, not \(batchSize)")
        try require((1...100_000).contains(batches), "--batches must lie in 1…100000, not \(batches)")
        try require(
            !workers.isEmpty && workers.allSatisfy { (1...256).contains($0) },
            "--workers takes counts in 1…256, not \(workers)")
    }
}
