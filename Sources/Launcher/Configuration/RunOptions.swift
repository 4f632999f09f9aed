import ArgumentParser
import Distributed
import Engine

/// The flags of how a training run runs, shared by `train` and `seg-train`
/// (an option group): where it writes, checkpoints, logging, threads,
/// gradient averaging, and how this invocation starts (config file, resume,
/// stop). Their defaults are the same for every preset.
struct RunOptions: ParsableArguments {
    typealias S = TrainSettings

    // The run
    @Option(help: "Run directory for checkpoints, metrics and logs.") var out: String?
    @Option(help: "Write a step checkpoint every N steps (\(S.defaultText(\.checkpointEvery)) = only at the end).")
    var checkpointEvery: Int?
    @Option(help: "Keep the last K step checkpoints (\(S.defaultText(\.keepCheckpoints))).") var keepCheckpoints: Int?
    @Option(help: "Log every N steps (\(S.defaultText(\.logEvery))).") var logEvery: Int?
    @Option(help: "Decode/augmentation threads per rank (\(S.defaultText(\.workers))).") var workers: Int?
    @Option(help: "Compute threads per rank (default: cores of the node / ranks on it).") var threads: Int?
    @Option(help: "Gradient averaging: bucketed (overlapping backward) or flat (\(S.defaultText(\.allreduce))).")
    var allreduce: AllreduceMode?
    @Option(help: "Bucket size in MB for --allreduce bucketed (\(S.defaultText(\.bucketMb))).") var bucketMb: Double?
    @Option(
        help: ArgumentHelp(
            "Gradients on the wire: f32, or bf16 for half the bytes (\(S.defaultText(\.allreduceDtype))).",
            discussion: "bf16 rounds each rank's gradient and every partial sum to bfloat16: results then depend "
                + "on the number of ranks (one rank: no effect). docs/PERFORMANCE.md has what it saves and costs."))
    var allreduceDtype: AllreduceDType?
    @Option(
        help: ArgumentHelp(
            "Advance the gradient buckets from a helper thread (thread) or only in MPI calls of the step (calls) "
                + "(\(S.defaultText(\.mpiProgress)))."))
    var mpiProgress: CollectiveProgress?
    @Option(
        help: ArgumentHelp(
            "3×3 stride-1 convolutions: auto, gemm (im2col + sgemm), winograd (F(2×2, 3×3)) or winograd4 (F(4×4, 3×3)) "
                + "(\(S.defaultText(\.convAlgorithm))).",
            discussion: "auto runs Winograd where it pays (both sides ≥ 64 channels), F(4×4, 3×3) where its larger "
                + "tiles fit the plane; it rounds differently from gemm (relative error in docs/PERFORMANCE.md), "
                + "so the two give close, not bitwise equal, weights."))
    var convAlgorithm: ConvAlgorithm?
    @Option(
        help: "Abort when a collective is not done after S seconds (\(S.defaultText(\.collectiveTimeout)); 0 = never).")
    var collectiveTimeout: Double?

    // How to run, not what to train (not written to config.yaml)
    @Option(help: "Read settings from a YAML file of `key: value` lines (a run's config.yaml works); flags win.")
    var config: String?
    @Flag(help: "Continue from the newest complete step checkpoint in --out (an error when there is none).")
    var resume = false
    @Flag(help: "Continue from the newest step checkpoint in --out if there is one, else start (requeued batch jobs).")
    var resumeAuto = false
    @Option(help: "Stop after step N as if preempted: step checkpoint, exit 3 (to fit a queue slot; then --resume).")
    var stopAtStep: Int?
    @Flag(help: "Drop samples that fail validation instead of stopping.") var skipBad = false

    /// The flags that are not settings.
    static let invocationFlags: Set<String> = ["config", "resume", "resumeAuto", "stopAtStep", "skipBad"]
}

extension RunOptions {
    /// How this invocation starts, checked.
    func invocation() throws -> (resume: ResumeMode, stopAtStep: Int?, skipBad: Bool) {
        if let step = stopAtStep, step < 1 { throw UsageError("--stop-at-step must be >= 1, not \(step)") }
        return (try ResumeMode(resume: resume, auto: resumeAuto), stopAtStep, skipBad)
    }
}
