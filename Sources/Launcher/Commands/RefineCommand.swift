import ArgumentParser
import Distributed

struct RefineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refine",
        abstract:
            "Masks from the maps of infer --cam-npy refined by a dense CRF on the image, sharded over the ranks, "
            + "with an optional mIoU report.")

    @OptionGroup var options: RefineOptions

    func run() throws {
        let comm = Communicators.make()
        RankDiscipline.run(comm) {
            try Refiner(options: options, comm: comm).run()
        }
    }
}
