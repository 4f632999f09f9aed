import ArgumentParser
import Foundation

/// `eps-dist`: the command-line entry (docs/ARCHITECTURE.md, "Command line").
public struct EpsDist: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "eps-dist",
        abstract:
            "EPS (CVPR 2021) weakly supervised segmentation: data-parallel training on CPU clusters, "
            + "pseudo-masks, mIoU.",
        discussion: """
            Run one process per rank under `mpirun -n N eps-dist ...` or `srun --mpi=pmix eps-dist ...`,
            or as a plain process for a one-rank run. Exit status: 0 success, 1 failure (I/O, divergence, a lost rank),
            2 bad usage or bad input (the message names the flag or file), 3 training stopped by SIGTERM/SIGUSR1 or
            --stop-at-step after writing a checkpoint (continue with --resume).
            """,
        subcommands: [
            SynthCommand.self, TrainCommand.self, InferCommand.self, EvalCommand.self, SweepCommand.self,
            SegTrainCommand.self, SegInferCommand.self,
            ReportCommand.self, RefineCommand.self,
            CheckDataCommand.self,
            BenchCommand.self, BenchDataCommand.self, ClassifyCommand.self,
        ])

    /// Parses, runs, and maps errors to the exit statuses
    /// (ArgumentParser's usage errors become 2).
    public static func runMain(_ arguments: [String]? = nil) -> Never {
        MemoryPolicy.keepFreedMemory()
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Foundation.exit(0)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }  // --help, --version
            let message = fullMessage(for: error)
            // Every rank parses the same flags: only the first reports.
            let env = ProcessInfo.processInfo.environment
            let rank = Int(env["OMPI_COMM_WORLD_RANK"] ?? env["PMIX_RANK"] ?? env["PMI_RANK"] ?? "0") ?? 0
            if !message.isEmpty && rank == 0 { FileHandle.standardError.write(Data("\(message)\n".utf8)) }
            if let explicit = error as? ExitCode { Foundation.exit(explicit.rawValue) }
            // Whatever fails before a command starts its work is bad usage.
            Foundation.exit(error is CommandError ? ExitStatus.failure : ExitStatus.badInput)
        }
    }
}
