import Data
import Distributed
import Engine
import Foundation
import Support

extension TrainingLoop {
    /// Rank 0 initialises (seed), loads the initial weights (`initial`, with
    /// `load`) or resumes; the values are broadcast so every rank starts from
    /// the same bytes. `withoutWeights` is the warning when there are no
    /// initial weights (nil: the network trains from scratch). Returns the
    /// first step and, on rank 0, the run's seconds before it (saved in the
    /// checkpoint resumed; else 0).
    func initializeWeights(
        _ model: CheckpointedModel, initial weights: String?, load: (String) throws -> Void, withoutWeights: String?
    ) throws -> (step: Int, elapsed: Double) {
        let config = settings
        let start = try RankDiscipline.onRoot(comm) { () -> (step: Int, elapsed: Double) in
            model.initialize(seed: config.seed)
            if config.resume.resumes && FileManager.default.fileExists(atPath: run.finalCheckpoint) {
                throw UsageError("\(run.finalCheckpoint): this run already finished; nothing to resume")
            }
            if config.resume == .required && run.stepCheckpoints().isEmpty {
                throw UsageError(
                    "--resume: \(run.checkpoints) holds no step checkpoint (step-NNNNNN.safetensors) to continue "
                        + "from; check --out, start without --resume, or pass --resume-auto to start when there is none"
                )
            }
            if config.resume.resumes, let (newest, file) = try newestReadableCheckpoint() {
                // Checkpoints of eps-dist before the dataset part carry the settings alone.
                if let saved = file.metadata["resume_signature"], !saved.isEmpty, saved != resumeSignature,
                    saved != config.resumeSignature
                {
                    throw UsageError(
                        "\(newest.path) was written by a run with other settings or images:\n  saved: \(saved)\n  now:   "
                            + "\(resumeSignature)\n"
                            + "resume with the same flags and --train-list images (e.g. --config \(run.config))")
                }
                let step = try Checkpoint.restore(file, into: model, path: newest.path, optimizerState: true)
                log.info("resuming from \(newest.path) at step \(step)")
                return (step, file.metadata["elapsed_s"].flatMap(Double.init) ?? 0)
            }
            if let weights {
                try load(weights)
                log.info("initial weights: \(weights)")
            } else if let withoutWeights {
                log.warn(withoutWeights)
            }
            return (0, 0)
        }
        let first = comm.allreduceMax(start?.step ?? 0)
        comm.broadcast(model.store.values, count: model.store.count, root: 0)
        comm.broadcast(model.store.momentum, count: model.store.count, root: 0)
        if config.adam {
            comm.broadcast(model.store.secondMoment, count: model.store.count, root: 0)
        }
        // A stop at a step already done would never come: the run would go on to the end.
        if let stop = config.stopAtStep, stop <= first {
            throw AgreedFailure(
                message: "--stop-at-step \(stop) is not after step \(first), where this run resumes; pass a later step",
                code: ExitStatus.badInput)
        }
        return (first, start?.elapsed ?? 0)
    }

    /// The newest step checkpoint that reads whole, with its contents: a damaged newest one
    /// (cut by a full disk, say) is skipped with a warning for the one before it. Nil when there is
    /// none; an error when every one is damaged.
    func newestReadableCheckpoint() throws -> ((step: Int, path: String), SafeTensorsFile)? {
        let all = run.stepCheckpoints()
        for candidate in all.reversed() {
            do { return (candidate, try SafeTensorsFile.read(candidate.path)) } catch {
                log.warn("\(error)\nskipping the damaged \(candidate.path) for the step checkpoint before it")
            }
        }
        guard all.isEmpty else {
            throw UsageError(
                "every step checkpoint in \(run.checkpoints) is damaged (see above); start a new run in another --out")
        }
        return nil
    }

    /// All ranks must run the same settings and build the same network.
    /// `what` names the compared thing in the message ("the settings", "the network").
    func checkAgreement(on signature: String, what: String) throws {
        let mine = String(StableHash.fnv1a(signature))
        let rootHash = comm.broadcast(string: mine, root: 0)
        let differs = comm.gather(string: rootHash == mine ? "" : "\(comm.rank)", root: 0).filter { !$0.isEmpty }
        if comm.allreduceMax(rootHash == mine ? 0 : 1) > 0 {
            throw AgreedFailure(
                message:
                    "ranks disagree on \(what): rank(s) \(differs.joined(separator: ", ")) differ from rank 0 "
                    + "(different eps-dist builds or flags on different nodes?)", code: ExitStatus.badInput)
        }
    }
}
