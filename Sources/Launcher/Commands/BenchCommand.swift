import ArgumentParser
import Distributed
import Foundation

struct BenchOptions: ParsableArguments {
    @Option(help: "Backbone: resnet38 or tiny.") var arch: String = "resnet38"
    @Option(help: "eps or cam.") var method: String = "eps"
    @Option(help: "Square input size.") var cropSize: Int = 224
    @Option(help: "Images per rank.") var batchSize: Int = 1
    @Option(help: "Compute threads per rank.") var threads: Int?
    @Option(help: "Timed steps (after one warm-up and one profiled step).") var steps: Int = 2
    @Option(help: "Classes (VOC 20).") var numClasses: Int = 20
    @Option(help: "Bucket size in MB.") var bucketMb: Double = 25
    @Option(help: "Write the figures as JSON.") var json: String?
    @Option(help: .hidden) var widthDivisor: Int = 1
    @Option(help: "Also save the randomly initialised network as a checkpoint (for inference timing).") var saveInitial: String?
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a training step per layer against cblas_sgemm on the same shapes (and allreduce under MPI).")

    @OptionGroup var options: BenchOptions

    func run() throws {
        let comm = Communicators.make()
        RankDiscipline.run(comm) {
            let result = try StepBenchmark(options: options, comm: comm).run()
            if let json = options.json, comm.isRoot { try EvalReport.writeJSON(result, to: json) }
        }
    }
}
