import ArgumentParser
import Distributed
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the EPS classifier (or the CAM baseline) data-parallel over the MPI ranks.")

    @OptionGroup var options: TrainOptions

    func run() throws {
        let config = try TrainConfig.resolve(options)
        let comm = Communicators.make()
        RankDiscipline.run(comm) {
            try Trainer(config: config, comm: comm).train()
        }
    }
}

struct CheckDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-data",
        abstract: "Validate a dataset with the train flags and print a summary (no --out needed; nothing is written).")

    @OptionGroup var options: TrainOptions

    func run() throws {
        let config = try TrainConfig.resolve(options, training: false)
        let comm = SingleProcessCommunicator()
        RankDiscipline.run(comm) {
            try DataCheck.run(config)
        }
    }
}
