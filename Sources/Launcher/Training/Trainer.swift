import Data
import Distributed
import Engine
import Foundation
import Support

/// Data-parallel EPS / CAM training: every rank trains on its share of each
/// global batch (TrainingStep averages the gradients and applies the same
/// update everywhere, so the weights stay identical on every rank).
public final class Trainer {
    let config: TrainConfig
    let comm: Communicator
    let run: RunDirectory
    let log: RankLog

    public init(config: TrainConfig, comm: Communicator) throws {
        self.config = config
        self.comm = comm
        let run = RunDirectory(config.out)
        self.run = run
        try RankDiscipline.onRoot(comm) {
            if run.holdsRun && !config.resume.resumes {
                throw UsageError(
                    "\(config.out) already holds a run (checkpoints); pass --resume to continue it or choose "
                        + "another --out"
                )
            }
            let removed = try run.create()
            if !removed.isEmpty { print("removed \(removed.count) leftover temporary file(s) of an interrupted run") }
        }
        log = RankLog(rank: comm.rank, path: run.log(rank: comm.rank))
    }

    /// The training loop: next batch → step → report → maybe checkpoint.
    public func train() throws {
        // First of all, before any collective that depends on them (dataset
        // validation, bucket layout, checkpoint steps).
        try checkAgreement(on: config.agreementSignature, what: "the settings")
        guard config.batchSize % comm.size == 0 else {
            // Every rank sees this alike: fail together, rank 0 reports.
            throw AgreedFailure(
                message:
                    "--batch-size \(config.batchSize) is not divisible by the \(comm.size) ranks; use a "
                    + "multiple of \(comm.size)",
                code: ExitStatus.badInput)
        }
        let threads = ThreadPlan.configure(requested: config.threads, comm: comm, log: log)
        try TrainingMemory.check(
            arch: config.arch, widthDivisor: config.widthDivisor, localBatch: config.batchSize / comm.size,
            crop: config.cropSize, comm: comm)
        log.info(
            "eps-dist train: \(comm.size) rank(s) × \(threads) thread(s), \(config.method.rawValue) on "
                + "\(config.arch.rawValue), global batch \(config.batchSize), crop \(config.cropSize), "
                + "\(config.maxIters) steps"
        )
        log.info(
            "recipe: \(config.optimizer == .sgd ? "SGD" : "Adam") lr \(config.lr) (poly 0.9 over \(config.maxIters) "
                + "steps)\(config.optimizer == .sgd ? ", momentum \(config.momentum)" : ""), weight "
                + "decay \(config.wtDec), crop \(config.cropSize) from long side \(config.resizeSize[0])–"
                + "\(config.resizeSize[1]); defaults of the \(config.dataset.rawValue) \(config.arch.rawValue) preset")
        if config.arch.trainsFromScratch && config.optimizer == .sgd
            && config.momentum < TrainSettings.scratchMomentumFloor
        {
            log.warn(
                "--momentum \(config.momentum) with \(config.arch.rawValue), a network trained from scratch: the "
                    + "reference's 0.0005 is its argument swap, meant for fine-tuning pretrained ResNet-38, and leaves "
                    + "a from-scratch net far behind (docs/QUALITY.md); the \(config.arch.rawValue) preset uses "
                    + "\(TrainSettings.preset(config.dataset, arch: config.arch).momentum)")
        }

        let dataset = try loadValidatedDataset()
        guard dataset.samples.count >= config.batchSize else {
            throw UsageError(
                "\(config.trainList): \(dataset.samples.count) usable images, fewer than one global batch of "
                    + "\(config.batchSize)"
            )
        }
        let model = ClassifierModel(
            architecture: config.arch, method: config.method, numClasses: dataset.numClasses,
            widthDivisor: config.widthDivisor, tau: config.tau, lam: config.lam)
        let (startStep, elapsedBefore) = try initializeWeights(model)
        try checkAgreement(on: model.store.layoutSignature, what: "the network")

        let loader = makeLoader(dataset, steps: startStep..<config.maxIters)
        loader.start()
        defer { loader.stop() }
        // Steps logged after the checkpoint we resume from are done again.
        if startStep > 0 { try RankDiscipline.onRoot(comm) { try run.dropMetrics(after: startStep) } }
        let logs = try RankDiscipline.onRoot(comm) { () -> (MetricsLog, TensorBoardEventFile) in
            try AtomicFile.write(Data(try config.yaml().utf8), to: run.config)
            // A new event file per session; its START record makes TensorBoard
            // drop what earlier sessions logged after the checkpoint resumed.
            let events = try TensorBoardEventFile(directory: run.path)
            try events.append(
                TensorBoardEvents.sessionStart(wallTime: Date().timeIntervalSince1970, step: startStep + 1))
            return (try MetricsLog(path: run.metrics), events)
        }
        let averaging = config.allreduce.make(store: model.store, comm: comm, bucketMB: config.bucketMb)
        log.record("gradient averaging: \(averaging.summary)")
        let optimizer: Optimizer =
            switch config.optimizer {
            case .sgd:
                PolySGD(
                    baseLR: config.lr, weightDecay: config.wtDec, momentum: config.momentum, maxStep: config.maxIters)
            case .adam: PolyAdam(baseLR: config.lr, weightDecay: config.wtDec, maxStep: config.maxIters)
            }
        let trainingStep = TrainingStep(
            model: model, comm: comm, optimizer: optimizer, averaging: averaging,
            watchdog: CollectiveWatchdog(timeout: config.collectiveTimeout, rank: comm.rank))
        let clock = RunClock(
            firstStep: startStep, lastStep: config.maxIters, imagesPerStep: config.batchSize,
            elapsedBefore: elapsedBefore)
        let report = TrainingReport(
            log: log, metrics: logs?.0, events: logs?.1,
            progress: ProgressLine(enabled: comm.isRoot && ProgressLine.wanted), clock: clock, logEvery: config.logEvery
        )
        let stops = StopRequests()
        let local = config.batchSize / comm.size
        let crop = config.cropSize
        for step in startStep..<config.maxIters {
            let dataStart = Date()
            let batch = try loader.next(step: step)
            let dataSeconds = Date().timeIntervalSince(dataStart)
            let input = LocalBatch(
                images: Tensor(shape: [local, 3, crop, crop], data: batch.images),
                saliency: batch.saliency.map { Tensor(shape: [local, 1, crop, crop], data: $0) },
                labels: batch.labels, sampleKeys: batch.sampleKeys)
            let stopVote = stops.requested != nil || config.stopAtStep == step + 1
            let result = trainingStep.run(input, step: step, stopVote: stopVote)
            let done = step + 1
            if result.nonFinite { throw diverged(at: done, result) }
            try report.stepFinished(done, result, lr: optimizer.learningRate(step: step), dataSeconds: dataSeconds)
            if result.stopRequested { try stop(after: done, requested: stops.requested, model: model, report: report) }
            if config.checkpointEvery > 0 && done % config.checkpointEvery == 0 && done < config.maxIters {
                try writeCheckpoint(
                    model, step: done, path: run.stepCheckpoint(done), includeOptimizer: true,
                    elapsed: clock.runElapsed())
                if comm.isRoot {
                    for kept in run.prune(keep: config.keepCheckpoints) {
                        log.warn("cannot remove the old checkpoint \(kept)")
                    }
                }
            }
        }
        report.progress.clear()
        try writeCheckpoint(
            model, step: config.maxIters, path: run.finalCheckpoint, includeOptimizer: false,
            elapsed: clock.runElapsed())
        log.info("done: \(run.finalCheckpoint) (\(RunClock.format(clock.elapsed)))")
    }

    /// This rank's loader of the global batches of `steps`.
    func makeLoader(_ dataset: Dataset, steps: Range<Int>) -> BatchLoader {
        let sampler = GlobalSampler(
            datasetSize: dataset.samples.count, globalBatch: config.batchSize, seed: config.seed)
        let augmentation = EPSAugmentation(
            cropSize: config.cropSize, resizeRange: config.resize,
            jitter: config.jitter ? ColorJitter() : nil, normalization: config.arch.inputNormalization)
        return BatchLoader(
            dataset: dataset, sampler: sampler, augmentation: augmentation, rank: comm.rank,
            ranks: comm.size, withSaliency: config.method == .eps, steps: steps, workers: config.workers)
    }

    /// A signal or --stop-at-step on any rank: write a step checkpoint and
    /// stop every rank with exit status 3, naming the cause seen on any rank.
    func stop(after done: Int, requested: String?, model: ClassifierModel, report: TrainingReport) throws -> Never {
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
        return AgreedFailure(
            message:
                "training diverged at step \(step): "
                + (result.nonFiniteLoss
                    ? "loss \(result.loss) (cls \(result.lossCls), sal \(result.lossSal)) is not finite"
                    : "the averaged gradient holds NaN or infinite values (loss \(result.loss))")
                + "; the weights were not updated and \(last). Try a lower --lr (now \(config.lr)) or check --weights.",
            code: ExitStatus.failure)
    }

    /// Rank 0 writes (temp file, fsync, rename); every rank learns whether it
    /// worked. Weights that became NaN or infinite in the last update (a loss
    /// still finite, a learning rate too large) stop the run instead: every
    /// rank holds the same weights, so every rank decides the same.
    func writeCheckpoint(
        _ model: ClassifierModel, step: Int, path: String, includeOptimizer: Bool, elapsed: Double
    ) throws {
        guard model.store.valuesAreFinite() else {
            throw AgreedFailure(
                message: "training diverged at step \(step): the weights hold NaN or infinite values after the update, "
                    + "so no checkpoint was written (\(path)). Try a lower --lr (now \(config.lr)) or check --weights.",
                code: ExitStatus.failure)
        }
        try RankDiscipline.onRoot(comm) {
            try Checkpoint.make(
                model, step: step, seed: config.seed, configYAML: try config.yaml(), includeOptimizer: includeOptimizer,
                adam: config.optimizer == .adam,
                resumeSignature: config.resumeSignature, elapsedSeconds: elapsed
            )
            .write(to: path)
            log.record("checkpoint \(path)")
        }
    }
}
