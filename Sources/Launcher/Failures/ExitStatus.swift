import Data
import Engine
import Support

/// The exit statuses of every command (docs/ARCHITECTURE.md, "Command line").
public enum ExitStatus {
    public static let success: Int32 = 0
    public static let failure: Int32 = 1
    public static let badInput: Int32 = 2
    /// Training stopped by SIGTERM/SIGUSR1 after writing a checkpoint (the
    /// Slurm script requeues on it).
    public static let preempted: Int32 = 3

    /// 2 for bad usage or bad input, 1 for anything else.
    public static func code(for error: Error) -> Int32 {
        switch error {
        case is UsageError, is DataError, is WeightFileError, is InputFileError: return badInput
        default: return failure
        }
    }
}
