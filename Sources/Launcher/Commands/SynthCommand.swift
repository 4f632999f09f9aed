import ArgumentParser
import Distributed
import Foundation

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic dataset in VOC layout (trains on rails, boats on water, imperfect saliency).",
        discussion: """
            --difficulty hard (the default) writes VOC-sized (350–500 × 280–375) photograph-like pictures: \
            textured, cluttered backgrounds; 1–3 overlapping objects of 7 classes (aeroplane, bird, boat, car, cow, \
            person, train); rails, water and sky (context 1, 2, 3) under or behind trains, boats and aeroplanes and \
            also without them; saliency with missed parts, salient distractors and shifted, soft edges. \
            --difficulty easy writes the small flat pictures of 5 classes that the tests and the demo learn fast.
            """
    )

    @Option(help: "Output folder (the dataset root).") var out: String
    @Option(help: "Training images.") var train: Int = 320
    @Option(help: "Validation images.") var val: Int = 64
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Scene generator: hard (VOC-sized, photograph-like) or easy (small, flat; fast to learn).")
    var difficulty: String = "hard"
    @Option(
        help: """
            Image size factor: easy pictures are about 160×128 at 1 (3 ≈ VOC's 500×375); hard ones are VOC-sized \
            at 1 (0.5 for quick small ones).
            """)
    var scale: Double = 1
    @Option(help: "Layout: voc (VOC devkit) or coco (train2014/, annotations/instances_train.json).") var format:
        String = "voc"

    func run() throws {
        let comm = SingleProcessCommunicator()
        RankDiscipline.run(comm) {
            guard let layout = SyntheticWriter.Format(rawValue: format) else {
                throw UsageError("--format must be voc or coco, not '\(format)'")
            }
            guard let level = SyntheticWriter.Difficulty(rawValue: difficulty) else {
                throw UsageError("--difficulty must be easy or hard, not '\(difficulty)'")
            }
            guard (1...1_000_000).contains(train), (0...1_000_000).contains(val) else {
                throw UsageError("--train must lie in 1…1000000 and --val in 0…1000000")
            }
            try SyntheticWriter.requireFreshOrSynthetic(out)
            guard scale >= 0.5, scale <= 8 else { throw UsageError("--scale must lie in 0.5…8") }
            let started = Date()
            let summary = try SyntheticWriter.write(
                to: out, format: layout, difficulty: level, train: train, val: val, seed: seed, scale: scale
            ) { done, total in
                if done % 100 == 0 || done == total {
                    print("synth: \(done)/\(total) images")
                    fflush(stdout)
                }
            }
            let classes = summary.imagesPerClass.keys.sorted().map { "\($0) \(summary.imagesPerClass[$0]!)" }.joined(
                separator: ", ")
            print(
                "synth: wrote \(summary.trainIds.count) train + \(summary.valIds.count) val \(difficulty) images "
                    + "(\(format)) "
                    + "to \(out) in "
                    + String(format: "%.1fs", Date().timeIntervalSince(started)) + " (objects: \(classes))")
        }
    }
}
