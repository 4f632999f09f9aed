import Distributed
import Foundation

/// Runs a command body on every rank. An error ends the job: alone, the
/// process prints it and exits; under MPI the rank calls MPI_Abort so no
/// other rank is left waiting in a collective.
public enum RankDiscipline {
    public static func run(_ comm: Communicator, _ body: () throws -> Void) -> Never {
        do {
            try body()
            comm.finalize()
            exit(ExitStatus.success)
        } catch let agreed as AgreedFailure {
            if comm.isRoot {
                FileHandle.standardError.write(
                    Data("\(agreed.isError ? "error" : "eps-dist"): \(agreed.message)\n".utf8))
            }
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
    /// `ioFailure`: some problem of this rank was an I/O failure (a full
    /// disk), which makes the job's status 1 instead of 2 (bad input).
    public static func agree(_ comm: Communicator, problems: [String], title: String, ioFailure: Bool = false) throws {
        let anyProblem = comm.allreduceMax(problems.isEmpty ? 0 : 1)
        guard anyProblem > 0 else { return }
        let anyIOFailure = comm.allreduceMax(ioFailure ? 1 : 0) > 0
        let all = comm.gather(string: problems.joined(separator: "\n"), root: 0).filter { !$0.isEmpty }
        let text = all.joined(separator: "\n")
        let count = text.split(separator: "\n").count
        throw AgreedFailure(
            message: "\(title) (\(count) problem\(count == 1 ? "" : "s")):\n\(text)",
            code: anyIOFailure ? ExitStatus.failure : ExitStatus.badInput)
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
