import Data
import Distributed
import Engine
import Foundation
import Support

/// What the training loop reads of a run's configuration, whatever it trains
/// (`train`'s TrainConfig, `seg-train`'s SegTrainConfig).
struct LoopSettings {
    var out: String
    var resume: ResumeMode
    var seed: UInt64
    /// Images per update over all ranks (each of the `iterSize` sub-batches holds `batchSize`).
    var batchSize: Int
    /// Sub-batches accumulated per update (deeplab-pytorch's ITER_SIZE; 1 = none).
    var iterSize: Int = 1
    var maxIters: Int
    var lr: Float
    var adam: Bool
    var logEvery: Int
    var checkpointEvery: Int
    var keepCheckpoints: Int
    var allreduce: AllreduceMode
    var bucketMb: Double
    var allreduceDtype: AllreduceDType
    var mpiProgress: CollectiveProgress
    var collectiveTimeout: Double
    var stopAtStep: Int?
    /// The effective settings as config.yaml.
    var configYAML: String
    var resumeSignature: String
    /// Loss parts to report beside the total (EPS: cls and sal).
    var lossParts: Bool
}

/// The data-parallel training loop shared by `train` and `seg-train`: the run
/// directory, resume, the step loop (next batch → TrainingStep → report →
/// maybe checkpoint), signals and divergence. Every rank runs it in step.
final class TrainingLoop {
    let settings: LoopSettings
    let comm: Communicator
    let run: RunDirectory
    let log: RankLog
    /// The training images (count and a hash of their ids), set when the
    /// dataset is loaded: a resume must see the same ones, wherever they moved.
    var datasetSignature = ""

    /// What a step checkpoint records and a resume must match.
    var resumeSignature: String { settings.resumeSignature + datasetSignature }

    /// Makes the run directory on rank 0 (refusing one that holds a run unless resuming).
    init(settings: LoopSettings, comm: Communicator) throws {
        // A stop after the last step would never come: the run would end without it, unannounced.
        if let stop = settings.stopAtStep, stop > settings.maxIters {
            throw UsageError(
                "--stop-at-step \(stop) is after the last step (--max-iters \(settings.maxIters)); pass a step "
                    + "up to \(settings.maxIters), or raise --max-iters")
        }
        self.settings = settings
        self.comm = comm
        let run = RunDirectory(settings.out)
        self.run = run
        try RankDiscipline.onRoot(comm) {
            let stale = try run.lock()
            if run.holdsRun && !settings.resume.resumes {
                throw UsageError(
                    "\(settings.out) already holds a run (checkpoints); pass --resume to continue it or choose "
                        + "another --out"
                )
            }
            let removed = try stale + run.create()
            if !removed.isEmpty { print("removed \(removed.count) leftover temporary file(s) of an interrupted run") }
        }
        log = RankLog(rank: comm.rank, path: run.log(rank: comm.rank))
    }

    /// The global batch must split evenly over the ranks (every rank sees this alike).
    func requireDivisibleBatch() throws {
        guard settings.batchSize % comm.size == 0 else {
            throw AgreedFailure(
                message:
                    "--batch-size \(settings.batchSize) is not divisible by the \(comm.size) ranks; use a "
                    + "multiple of \(comm.size)",
                code: ExitStatus.badInput)
        }
    }

    /// Trains `model` from `startStep` to the last step, then writes the final
    /// checkpoint. `loader` yields one batch per sub-batch (update t uses
    /// loader steps t·iterSize …); `localBatch` turns it into the model's input.
    func train(
        _ model: CheckpointedModel, loader: BatchLoader, optimizer: Optimizer, startStep: Int, elapsedBefore: Double,
        localBatch: (Batch) -> LocalBatch
    ) throws {
        // Steps logged after the checkpoint we resume from are done again.
        if startStep > 0 { try RankDiscipline.onRoot(comm) { try run.dropMetrics(after: startStep) } }
        let logs = try RankDiscipline.onRoot(comm) { () -> (MetricsLog, TensorBoardEventFile) in
            try AtomicFile.write(Data(settings.configYAML.utf8), to: run.config)
            // A new event file per session; its START record makes TensorBoard
            // drop what earlier sessions logged after the checkpoint resumed.
            let events = try TensorBoardEventFile(directory: run.path)
            try events.append(
                TensorBoardEvents.sessionStart(wallTime: Date().timeIntervalSince1970, step: startStep + 1))
            return (try MetricsLog(path: run.metrics), events)
        }
        comm.collectiveProgress = settings.mpiProgress
        let averaging = settings.allreduce.make(
            store: model.store, comm: comm, bucketMB: settings.bucketMb, dtype: settings.allreduceDtype)
        log.record("gradient averaging: \(averaging.summary)")
        let trainingStep = TrainingStep(
            model: model, comm: comm, optimizer: optimizer, averaging: averaging,
            watchdog: CollectiveWatchdog(timeout: settings.collectiveTimeout, rank: comm.rank))
        let clock = RunClock(
            firstStep: startStep, lastStep: settings.maxIters, imagesPerStep: settings.batchSize * settings.iterSize,
            elapsedBefore: elapsedBefore)
        let report = TrainingReport(
            log: log, metrics: logs?.0, events: logs?.1,
            progress: ProgressLine(enabled: comm.isRoot && ProgressLine.wanted), clock: clock,
            logEvery: settings.logEvery, lossParts: settings.lossParts)
        let stops = StopRequests()
        let k = settings.iterSize
        for step in startStep..<settings.maxIters {
            let dataStart = Date()
            let batches = try (0..<k).map { try localBatch(loader.next(step: step * k + $0)) }
            let dataSeconds = Date().timeIntervalSince(dataStart)
            let stopVote = stops.requested != nil || settings.stopAtStep == step + 1
            let result = trainingStep.run(batches, step: step, stopVote: stopVote)
            let done = step + 1
            if result.nonFinite { throw diverged(at: done, result) }
            try report.stepFinished(done, result, lr: optimizer.learningRate(step: step), dataSeconds: dataSeconds)
            if result.stopRequested { try stop(after: done, requested: stops.requested, model: model, report: report) }
            if settings.checkpointEvery > 0 && done % settings.checkpointEvery == 0 && done < settings.maxIters {
                try writeCheckpoint(
                    model, step: done, path: run.stepCheckpoint(done), includeOptimizer: true,
                    elapsed: clock.runElapsed())
                if comm.isRoot {
                    for kept in run.prune(keep: settings.keepCheckpoints) {
                        log.warn("cannot remove the old checkpoint \(kept)")
                    }
                }
            }
        }
        report.progress.clear()
        try writeCheckpoint(
            model, step: settings.maxIters, path: run.finalCheckpoint, includeOptimizer: false,
            elapsed: clock.runElapsed())
        log.info("done: \(run.finalCheckpoint) (\(RunClock.format(clock.elapsed)))")
    }

    /// A signal or --stop-at-step on any rank: write a step checkpoint and
    /// stop every rank with exit status 3, naming the cause seen on any rank.
    func stop(after done: Int, requested: String?, model: CheckpointedModel, report: TrainingReport) throws -> Never {
        report.progress.clear()
        let causes = ["--stop-at-step", "SIGUSR1", "SIGTERM"]
        let cause = causes[comm.allreduceMax(requested.flatMap { causes.firstIndex(of: $0) } ?? 0)]
        try writeCheckpoint(
            model, step: done, path: run.stepCheckpoint(done), includeOptimizer: true,
            elapsed: report.clock.runElapsed())
        log.info("\(cause): stopped after step \(done); checkpoint \(run.stepCheckpoint(done)); continue with --resume")
        throw AgreedFailure(
            message: "stopped by \(cause) after step \(done) (checkpoint written; rerun with --resume)",
            code: ExitStatus.preempted, isError: false)
    }

    /// The loss became NaN or infinite on some rank: every rank stops with
    /// exit status 1; no checkpoint of this run is written or touched.
    func diverged(at step: Int, _ result: StepResult) -> AgreedFailure {
        let last =
            run.stepCheckpoints().last.map { "the last good step checkpoint is \($0.path)" }
            ?? "no step checkpoint was written"
        let parts = settings.lossParts ? " (cls \(result.lossCls), sal \(result.lossSal))" : ""
        return AgreedFailure(
            message:
                "training diverged at step \(step): "
                + (result.nonFiniteLoss
                    ? "loss \(result.loss)\(parts) is not finite"
                    : "the averaged gradient holds NaN or infinite values (loss \(result.loss))")
                + "; the weights were not updated and \(last). Try a lower --lr (now \(settings.lr)) or check --weights.",
            code: ExitStatus.failure)
    }

    /// Rank 0 writes (temp file, fsync, rename); every rank learns whether it
    /// worked. Weights that became NaN or infinite in the last update (a loss
    /// still finite, a learning rate too large) stop the run instead: every
    /// rank holds the same weights, so every rank decides the same.
    func writeCheckpoint(
        _ model: CheckpointedModel, step: Int, path: String, includeOptimizer: Bool, elapsed: Double
    ) throws {
        guard model.store.valuesAreFinite() else {
            throw AgreedFailure(
                message: "training diverged at step \(step): the weights hold NaN or infinite values after the update, "
                    + "so no checkpoint was written (\(path)). Try a lower --lr (now \(settings.lr)) or check --weights.",
                code: ExitStatus.failure)
        }
        try RankDiscipline.onRoot(comm) {
            try Checkpoint.make(
                model, step: step, seed: settings.seed, configYAML: settings.configYAML,
                includeOptimizer: includeOptimizer, adam: settings.adam, resumeSignature: resumeSignature,
                elapsedSeconds: elapsed
            )
            .write(to: path)
            log.record("checkpoint \(path)")
        }
    }
}
