import ArgumentParser
import Distributed
import Engine
import Foundation

struct BenchOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Network: a classifier backbone (the EPS/CAM step) or deeplabv2-* (seg-train's step: frozen BN, "
                + "trained for -tiny; inputs at 1, 0.5 and 0.75; four cross-entropy terms; then inference on a "
                + "500×375 image)."))
    var arch: BenchNetwork = .classifier(.resnet38)
    @Option(help: "Method of a classifier: \(Method.helpList).") var method: Method = .eps
    @Option(help: "Square input size.") var cropSize: Int = 224
    @Option(help: "Images per rank.") var batchSize: Int = 1
    @Option(help: "Compute threads per rank.") var threads: Int?
    @Option(help: "Timed steps (after one warm-up and one profiled step).") var steps: Int = 2
    @Option(help: "Classes (VOC: 20 for a classifier, 21 with the background for deeplabv2-*).") var numClasses: Int?
    @Option(help: "Bucket size in MB.") var bucketMb: Double = 25
    @Option(help: "Gradients on the wire: f32 or bf16.") var allreduceDtype: AllreduceDType = .f32
    @Option(help: "Advance the buckets from a helper thread (thread) or only in the step's MPI calls (calls).")
    var mpiProgress: CollectiveProgress = TrainSettings.preset(.voc).mpiProgress
    @Option(
        help:
            "3×3 stride-1 convolutions: auto, gemm (im2col + sgemm), winograd (F(2×2, 3×3)) or winograd4 (F(4×4, 3×3))."
    )
    var convAlgorithm: ConvAlgorithm = .auto
    @Flag(help: "Also time the step under gemm and under --conv-algorithm alternately (--steps rounds).")
    var compareConv = false
    @Option(help: "Write the figures as JSON.") var json: String?
    @Option(help: "Divide every layer's width by D (small test networks; 1 = the real network).") var widthDivisor:
        Int = 1
    @Flag(help: "Print the backward plan: what each layer keeps for backward and which gradients it computes.")
    var plan = false
    @Option(help: "Also save the randomly initialised network as a checkpoint (for inference timing).") var saveInitial:
        String?
    @Flag(
        help: ArgumentHelp(
            "Time the dense CRF instead (500×375 images, both parameter sets; and the lattice against the exact "
                + "CRF on 64×48); --steps timed repeats."))
    var crf = false
    @Flag(
        help: ArgumentHelp(
            "Time a classifier's CAM inference instead (infer's procedure on a random 500×375 image: scales 0.5 1 1.5 "
                + "2 × flip, every label set); --steps timed images; prints s/image and peak RSS."))
    var infer = false
    @Flag(
        help: ArgumentHelp(
            "With --infer: the plain procedure instead (every input alone as infer.py, no BatchNorm folded, whole-image "
                + "im2col), the 'before' of docs/PERFORMANCE.md."))
    var inferBaseline = false
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "Time a training step per layer against cblas_sgemm on the same shapes (and allreduce under MPI), or "
            + "the dense CRF (--crf).")

    @OptionGroup var options: BenchOptions

    func run() throws {
        let comm = Communicators.make()
        RankDiscipline.run(comm) {
            if options.crf && options.infer {
                throw UsageError("bench takes one of --crf and --infer")
            }
            if options.inferBaseline && !options.infer {
                throw UsageError("--infer-baseline goes with --infer")
            }
            let result =
                options.crf
                ? try CRFBenchmark(repeats: options.steps, comm: comm).run()
                : options.infer
                    ? try CAMInferenceBenchmark(options: options, comm: comm).run()
                    : try StepBenchmark(options: options, comm: comm).run()
            if let json = options.json, comm.isRoot { try EvalReport.writeJSON(result, to: json) }
        }
    }
}
