import ArgumentParser
import Distributed
import Foundation

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a small synthetic dataset in VOC layout (trains on rails, boats on water, imperfect saliency)."
    )

    @Option(help: "Output folder (the dataset root).") var out: String
    @Option(help: "Training images.") var train: Int = 320
    @Option(help: "Validation images.") var val: Int = 64
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Image size factor (3 ≈ VOC's 500×375; for benchmarks).") var scale: Double = 1
    @Option(help: "Layout: voc (VOC devkit) or coco (train2014/, annotations/instances_train.json).") var format:
        String = "voc"

    func run() throws {
        let comm = SingleProcessCommunicator()
        RankDiscipline.run(comm) {
            guard let layout = SyntheticWriter.Format(rawValue: format) else {
                throw UsageError("--format must be voc or coco, not '\(format)'")
            }
            guard (1...1_000_000).contains(train), (0...1_000_000).contains(val) else {
                throw UsageError("--train must lie in 1…1000000 and --val in 0…1000000")
            }
            try SyntheticWriter.requireFreshOrSynthetic(out)
            guard scale >= 0.5, scale <= 8 else { throw UsageError("--scale must lie in 0.5…8") }
            let started = Date()
            let summary = try SyntheticWriter.write(
                to: out, format: layout, train: train, val: val, seed: seed, scale: scale
            ) { done, total in
                if done % 100 == 0 || done == total {
                    print("synth: \(done)/\(total) images")
                    fflush(stdout)
                }
            }
            let classes = summary.imagesPerClass.keys.sorted().map { "\($0) \(summary.imagesPerClass[$0]!)" }.joined(
                separator: ", ")
            print(
                "synth: wrote \(summary.trainIds.count) train + \(summary.valIds.count) val images (\(format)) "
                    + "to \(out) in "
                    + String(format: "%.1fs", Date().timeIntervalSince(started)) + " (objects: \(classes))")
        }
    }
}
