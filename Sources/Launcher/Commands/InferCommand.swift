import ArgumentParser
import Distributed
import Foundation

struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract:
            "Multi-scale CAM inference: pseudo-masks of every image, sharded over the ranks, with an optional "
            + "mIoU report."
    )

    @OptionGroup var options: InferOptions

    func run() throws {
        let comm = Communicators.make()
        RankDiscipline.run(comm) {
            try Inferencer(options: options, comm: comm).run()
        }
    }
}
