import ArgumentParser
import Distributed
import Foundation

struct SegInferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seg-infer",
        abstract: """
            Stage 2: segment whole images with a seg-train checkpoint (multi-scale max logits, optional scales, flip \
            and dense CRF), sharded over the MPI ranks; with --gt-dir, the mIoU.
            """)

    @OptionGroup var options: SegInferOptions

    func run() throws {
        let comm = Communicators.make()
        RankDiscipline.run(comm) {
            try SegInferencer(options: options, comm: comm).run()
        }
    }
}
