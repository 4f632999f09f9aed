import Data
import Distributed
import Engine
import Foundation
import Support

/// Data-parallel EPS / CAM training (DESIGN §5–§6): every rank trains on its
/// share of each global batch; gradients are averaged with allreduce, then
/// every rank applies the same optimizer step, so weights stay identical.
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
            if run.holdsRun && !config.resume {
                throw UsageError("\(config.out) already holds a run (checkpoints); pass --resume to continue it or choose another --out")
            }
            try run.create()
        }
        log = RankLog(rank: comm.rank, path: run.log(rank: comm.rank))
    }

    public func train() throws {
        guard config.batchSize % comm.size == 0 else {
            // Every rank sees this alike: fail together, rank 0 reports.
            throw AgreedFailure(message: "--batch-size \(config.batchSize) is not divisible by the \(comm.size) ranks; use a multiple of \(comm.size)",
                                code: ExitStatus.badInput)
        }
        let threads = ThreadPlan.configure(requested: config.threads, comm: comm, log: log)
        log.info("eps-dist train: \(comm.size) rank(s) × \(threads) thread(s), \(config.method.rawValue) on \(config.arch.rawValue), global batch \(config.batchSize), crop \(config.cropSize), \(config.maxIters) steps")

        let dataset = try loadValidatedDataset()
        guard dataset.samples.count >= config.batchSize else {
            throw UsageError("\(config.dataset.listFile): \(dataset.samples.count) usable images, fewer than one global batch of \(config.batchSize)")
        }
        let model = ClassifierModel(architecture: config.arch, method: config.method, numClasses: dataset.numClasses,
                                    widthDivisor: config.widthDivisor)
        let startStep = try initializeWeights(model)
        try checkAgreement(model)

        let sampler = GlobalSampler(datasetSize: dataset.samples.count, globalBatch: config.batchSize, seed: config.seed)
        let augmentation = EPSAugmentation(cropSize: config.cropSize, resizeRange: config.resize,
                                           jitter: config.jitter ? ColorJitter() : nil)
        let loader = BatchLoader(dataset: dataset, sampler: sampler, augmentation: augmentation, rank: comm.rank,
                                 ranks: comm.size, withSaliency: config.method == .eps, steps: startStep..<config.maxIters,
                                 workers: config.workers)
        loader.start()
        defer { loader.stop() }
        let optimizer = PolySGD(baseLR: config.lr, weightDecay: config.wtDec, momentum: config.momentum, maxStep: config.maxIters)
        // Steps logged after the checkpoint we resume from are done again.
        if startStep > 0 { try RankDiscipline.onRoot(comm) { try run.dropMetrics(after: startStep) } }
        let metrics = comm.isRoot ? JSONLinesWriter(path: run.metrics) : nil
        if comm.isRoot { try AtomicFile.write(Data(config.yaml.utf8), to: run.config) }

        let store = model.store
        let local = config.batchSize / comm.size
        let stops = StopRequests()
        let watchdog = CollectiveWatchdog(timeout: config.collectiveTimeout, rank: comm.rank)
        let buckets = config.allreduce == .bucketed
            ? GradientBuckets(store: store, comm: comm, capacityFloats: Int(config.bucketMB * 1_048_576 / 4)) : nil
        if let buckets { log.record("allreduce: \(buckets.buckets.count) bucket(s) of ≤ \(config.bucketMB) MB, \(buckets.floatsReduced) floats") }
        let progress = ProgressLine(enabled: comm.isRoot && ProgressLine.wanted)
        var window = LossWindow()
        let started = Date()
        for step in startStep..<config.maxIters {
            let t0 = Date()
            let batch = try loader.next(step: step)
            let t1 = Date()
            store.zeroGradients()
            buckets?.beginStep()
            let c = config.cropSize
            let losses = model.accumulateGradients(
                images: Tensor(shape: [local, 3, c, c], data: batch.images),
                saliency: batch.saliency.map { Tensor(shape: [local, 1, c, c], data: $0) },
                labels: batch.labels, tau: config.tau, lam: config.lam,
                context: ForwardContext(training: true, sampleKeys: batch.sampleKeys))
            let t2 = Date()
            watchdog.arm(step: step + 1, "the gradient allreduce")
            if let buckets { buckets.finish() } else { comm.allreduceMean(store.gradients, count: store.count) }
            // Losses for the log and the stop vote travel together.
            let stopHere = stops.requested != nil || config.stopAfter == step + 1
            var shared = [Double(losses.lossCls), Double(losses.lossSal), stopHere ? 1 : 0]
            comm.allreduceSum(&shared)
            watchdog.disarm()
            let t3 = Date()
            optimizer.step(store, step: step)
            let t4 = Date()
            let lossCls = shared[0] / Double(comm.size), lossSal = shared[1] / Double(comm.size)
            window.add(cls: lossCls, sal: lossSal)
            let done = step + 1
            let elapsed = Date().timeIntervalSince(started)
            let rate = Double((done - startStep) * config.batchSize) / max(elapsed, 1e-9)
            let eta = Double(config.maxIters - done) * elapsed / Double(done - startStep)
            progress.show(String(format: "step %d/%d  loss %.4f  %.1f img/s  eta ", done, config.maxIters, lossCls + lossSal, rate)
                          + Self.duration(eta))
            if done % config.logEvery == 0 || done == config.maxIters || step == startStep {
                let lr = optimizer.learningRate(step: step)
                let (meanCls, meanSal) = window.mean()
                progress.clear()
                log.info(String(format: "step %6d/%d  loss %.4f  cls %.4f  sal %.4f  lr %.6f  %.1f img/s  eta ",
                                done, config.maxIters, meanCls + meanSal, meanCls, meanSal, lr, rate) + Self.duration(eta))
                window = LossWindow()
                metrics?.append([
                    "step": done, "loss": lossCls + lossSal, "loss_cls": lossCls, "loss_sal": lossSal, "lr": Double(lr),
                    "images_per_s": rate,
                    "time": ["data": t1.timeIntervalSince(t0), "forward": losses.forwardSeconds, "backward": losses.backwardSeconds,
                             "allreduce": t3.timeIntervalSince(t2), "step": t4.timeIntervalSince(t3)],
                ])
            }
            if shared[2] > 0 {
                progress.clear()
                // Name the cause seen on any rank (rank 0 may not have got the signal).
                let causes = ["--stop-after", "SIGUSR1", "SIGTERM"]
                let cause = causes[comm.allreduceMax(stops.requested.flatMap { causes.firstIndex(of: $0) } ?? 0)]
                try writeCheckpoint(model, step: done, path: run.stepCheckpoint(done), includeOptimizer: true)
                log.info("\(cause): stopped after step \(done); checkpoint \(run.stepCheckpoint(done)); continue with --resume")
                throw AgreedFailure(message: "stopped by \(cause) after step \(done) (checkpoint written; rerun with --resume)",
                                    code: ExitStatus.preempted, isError: false)
            }
            if config.checkpointEvery > 0 && done % config.checkpointEvery == 0 && done < config.maxIters {
                try writeCheckpoint(model, step: done, path: run.stepCheckpoint(done), includeOptimizer: true)
                if comm.isRoot { run.prune(keep: config.keepCheckpoints) }
            }
        }
        progress.clear()
        try writeCheckpoint(model, step: config.maxIters, path: run.finalCheckpoint, includeOptimizer: false)
        log.info("done: \(run.finalCheckpoint) (\(Self.duration(Date().timeIntervalSince(started))))")
    }

    /// Reads the list and labels on every rank; each rank checks a strided
    /// share of the files, and all problems are reported together by rank 0.
    func loadValidatedDataset() throws -> Dataset {
        let dataset = try Dataset.load(config.dataset)
        let mine = dataset.with(samples: dataset.samples.enumerated().filter { $0.offset % comm.size == comm.rank }.map { $0.element })
        let (checked, problems) = mine.validated(requireSaliency: config.method == .eps)
        let messages = problems.map { $0.description }
        if config.skipBad {
            let dropped = Set(comm.allGatherStrings(problems.map { $0.path }))
            if !dropped.isEmpty { log.info("--skip-bad: dropping \(dropped.count) sample(s):\n" + messages.joined(separator: "\n")) }
        } else {
            try RankDiscipline.agree(comm, problems: messages,
                                     title: "the dataset has problems; fix them or pass --skip-bad")
        }
        // Every rank needs every label; gather the validated shares in dataset order.
        let keptIds = Set(comm.allGatherStrings(checked.samples.map { $0.id }))
        var labels: [String: [Float]] = [:]
        for s in checked.samples { labels[s.id] = s.labels }
        let allLabels = comm.allGatherLabels(labels)
        let samples = dataset.samples.compactMap { s -> Sample? in
            guard keptIds.contains(s.id), let l = allLabels[s.id] else { return nil }
            var copy = s; copy.labels = l; return copy
        }
        log.info("dataset: \(samples.count) images, \(dataset.numClasses) classes (\(config.dataset.listFile))")
        return dataset.with(samples: samples)
    }

    /// Rank 0 initialises (seed), loads --weights or resumes; the values are
    /// broadcast so every rank starts from the same bytes. Returns the first step.
    func initializeWeights(_ model: ClassifierModel) throws -> Int {
        let step = try RankDiscipline.onRoot(comm) { () -> Int in
            model.initialize(seed: config.seed)
            if config.resume && FileManager.default.fileExists(atPath: run.finalCheckpoint) {
                throw UsageError("\(run.finalCheckpoint): this run already finished; nothing to resume")
            }
            if config.resume, let newest = run.stepCheckpoints().last {
                let file = try SafeTensorsFile.read(newest.path)
                if let saved = file.metadata["resume_signature"], !saved.isEmpty, saved != config.resumeSignature {
                    throw UsageError("\(newest.path) was written by a run with other settings:\n  saved: \(saved)\n  now:   \(config.resumeSignature)\n"
                                     + "resume with the same flags (e.g. --config \(run.config))")
                }
                let step = try Checkpoint.restore(file, into: model, path: newest.path)
                log.info("resuming from \(newest.path) at step \(step)")
                return step
            }
            if let weights = config.weights {
                _ = try Checkpoint.restore(try WeightFiles.read(weights), into: model, path: weights, allowMissingHead: true)
                log.info("initial weights: \(weights)")
            } else if config.arch != .tiny {
                // Every BN is frozen (as the reference), so a random init has no
                // normalisation at all and the deep residual stack blows up.
                log.warn("no --weights: \(config.arch.rawValue) starts from a random initialisation with frozen BatchNorm, "
                         + "which does not train (losses explode); pass ImageNet weights (.params, .pth or .safetensors)")
            }
            return 0
        }
        let first = comm.allreduceMax(step ?? 0)
        comm.broadcast(model.store.values, count: model.store.count, root: 0)
        comm.broadcast(model.store.momentum, count: model.store.count, root: 0)
        return first
    }

    /// All ranks must build the same network with the same config.
    func checkAgreement(_ model: ClassifierModel) throws {
        var signature = model.store.layoutSignature + "|" + config.agreementSignature
        // Test hook: make one rank disagree (the check is otherwise hard to trigger).
        if ProcessInfo.processInfo.environment["EPS_DIST_TEST_DISAGREE_RANK"] == "\(comm.rank)" { signature += "|salt" }
        let mine = String(StableHash.fnv1a(signature))
        let rootHash = comm.broadcast(string: mine, root: 0)
        let differs = comm.gather(string: rootHash == mine ? "" : "\(comm.rank)", root: 0).filter { !$0.isEmpty }
        if comm.allreduceMax(rootHash == mine ? 0 : 1) > 0 {
            throw AgreedFailure(message: "ranks disagree on the network or the config: rank(s) \(differs.joined(separator: ", ")) differ from rank 0 "
                                + "(different eps-dist builds or flags on different nodes?)", code: ExitStatus.badInput)
        }
    }

    /// Rank 0 writes (temp file, fsync, rename); every rank learns whether it worked.
    func writeCheckpoint(_ model: ClassifierModel, step: Int, path: String, includeOptimizer: Bool) throws {
        try RankDiscipline.onRoot(comm) {
            try Checkpoint.make(model, step: step, seed: config.seed, configYAML: config.yaml, includeOptimizer: includeOptimizer,
                                resumeSignature: config.resumeSignature)
                .write(to: path)
            log.record("checkpoint \(path)")
        }
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}

/// A live one-line status on a terminal (rank 0 only); plain log lines elsewhere.
final class ProgressLine {
    /// A terminal, and not under an MPI launcher (mpirun hands every rank a
    /// pseudo-terminal even when its own output goes to a file);
    /// EPS_DIST_PROGRESS=bar|lines overrides.
    static var wanted: Bool {
        switch ProcessInfo.processInfo.environment["EPS_DIST_PROGRESS"] {
        case "bar": return true
        case "lines": return false
        default: return isatty(STDOUT_FILENO) != 0 && !Communicators.launchedByMPI
        }
    }

    let enabled: Bool
    private var last = Date.distantPast
    init(enabled: Bool) { self.enabled = enabled }

    func show(_ text: String) {
        guard enabled, Date().timeIntervalSince(last) > 0.2 else { return }
        last = Date()
        print("\r\u{1B}[K" + text, terminator: "")
        fflush(stdout)
    }

    func clear() {
        guard enabled else { return }
        print("\r\u{1B}[K", terminator: "")
        fflush(stdout)
    }
}

/// Running mean of the losses between two log lines.
struct LossWindow {
    var cls = 0.0, sal = 0.0, n = 0
    mutating func add(cls c: Double, sal s: Double) { cls += c; sal += s; n += 1 }
    func mean() -> (Double, Double) { n == 0 ? (0, 0) : (cls / Double(n), sal / Double(n)) }
}

public enum StableHash {
    public static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }
}
