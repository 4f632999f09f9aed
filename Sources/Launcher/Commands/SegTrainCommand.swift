import ArgumentParser
import Distributed
import Foundation

struct SegTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seg-train",
        abstract: """
            Stage 2: train DeepLab-v2 on label maps (the pseudo-masks) data-parallel over the MPI ranks, as \
            deeplab-pytorch does.
            """)

    @OptionGroup var options: SegTrainOptions

    func run() throws {
        let config = try SegTrainConfig.resolve(options)
        let comm = Communicators.make()
        RankDiscipline.run(comm) {
            try SegTrainer(config: config, comm: comm).train()
        }
    }
}
