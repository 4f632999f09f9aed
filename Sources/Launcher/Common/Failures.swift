import Data
import Distributed
import Engine
import Foundation

/// Bad usage or bad input: exit status 2, message names the flag or file.
public struct UsageError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public enum ExitStatus {
    public static let success: Int32 = 0
    public static let failure: Int32 = 1
    public static let badInput: Int32 = 2
    /// Training stopped by SIGTERM/SIGUSR1 after writing a checkpoint (the
    /// Slurm script requeues on it).
    public static let preempted: Int32 = 3

    /// DESIGN §8: 2 for bad usage or bad input, 1 for anything else.
    public static func code(for error: Error) -> Int32 {
        switch error {
        case is UsageError, is DataError, is WeightFileError: return badInput
        default: return failure
        }
    }
}

/// Runs a command body on every rank. An error ends the job: alone, the
/// process prints it and exits; under MPI the rank calls MPI_Abort so no
/// other rank is left waiting in a collective.
/// A failure every rank has agreed on: each exits with `code`, rank 0 prints
/// the message; nobody is left in a collective, so no MPI_Abort is needed.
public struct AgreedFailure: Error, CustomStringConvertible {
    public let message: String
    public let code: Int32
    /// False for an orderly stop (preemption): reported as a notice, not an error.
    public var isError = true
    public init(message: String, code: Int32, isError: Bool = true) {
        self.message = message; self.code = code; self.isError = isError
    }
    public var description: String { message }
}

public enum RankDiscipline {
    public static func run(_ comm: Communicator, _ body: () throws -> Void) -> Never {
        do {
            try body()
            comm.finalize()
            exit(ExitStatus.success)
        } catch let agreed as AgreedFailure {
            if comm.isRoot { FileHandle.standardError.write(Data("\(agreed.isError ? "error" : "eps-dist"): \(agreed.message)\n".utf8)) }
            comm.finalize()
            exit(agreed.code)
        } catch {
            let code = ExitStatus.code(for: error)
            if comm.size > 1 { comm.abort("\(error)", code: code) }
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            comm.finalize()
            exit(code)
        }
    }

    /// Every rank contributes its problems; if any rank has one, rank 0
    /// prints them all and every rank fails with status 2 (no hang, no abort).
    public static func agree(_ comm: Communicator, problems: [String], title: String) throws {
        let anyProblem = comm.allreduceMax(problems.isEmpty ? 0 : 1)
        guard anyProblem > 0 else { return }
        let all = comm.gather(string: problems.joined(separator: "\n"), root: 0).filter { !$0.isEmpty }
        let text = all.joined(separator: "\n")
        let count = text.split(separator: "\n").count
        throw AgreedFailure(message: "\(title) (\(count) problem\(count == 1 ? "" : "s")):\n\(text)", code: ExitStatus.badInput)
    }

    /// Runs `body` on rank 0 only; if it fails, every rank fails with the same
    /// status (rank 0 prints the message), instead of the others waiting forever.
    public static func onRoot<T>(_ comm: Communicator, _ body: () throws -> T) throws -> T? {
        var result: T? = nil
        var failure: Error? = nil
        if comm.isRoot {
            do { result = try body() } catch { failure = error }
        }
        let code = comm.allreduceMax(failure.map { Int(ExitStatus.code(for: $0)) } ?? 0)
        if code > 0 { throw AgreedFailure(message: failure.map { "\($0)" } ?? "failed on rank 0", code: Int32(code)) }
        return result
    }
}
