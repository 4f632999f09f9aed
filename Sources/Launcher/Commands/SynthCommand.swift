import ArgumentParser
import Distributed
import Foundation

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a small synthetic dataset in VOC layout (trains on rails, boats on water, imperfect saliency).")

    @Option(help: "Output folder (the dataset root).") var out: String
    @Option(help: "Training images.") var train: Int = 320
    @Option(help: "Validation images.") var val: Int = 64
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Layout: voc.") var format: String = "voc"

    func run() throws {
        let comm = SingleProcessCommunicator()
        RankDiscipline.run(comm) {
            guard format == "voc" else { throw UsageError("--format: only voc is written so far, not '\(format)'") }
            guard train > 0, val >= 0 else { throw UsageError("--train must be positive and --val non-negative") }
            let started = Date()
            let summary = try SyntheticWriter.writeVOC(to: out, train: train, val: val, seed: seed) { done, total in
                if done % 100 == 0 || done == total { print("synth: \(done)/\(total) images"); fflush(stdout) }
            }
            let classes = summary.imagesPerClass.keys.sorted().map { "\($0) \(summary.imagesPerClass[$0]!)" }.joined(separator: ", ")
            print(String(format: "synth: wrote %d train + %d val images to %@ in %.1fs (objects: ", summary.trainIds.count,
                         summary.valIds.count, out, Date().timeIntervalSince(started)) + classes + ")")
        }
    }
}
