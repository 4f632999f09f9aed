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
    let loop: TrainingLoop
    var log: RankLog { loop.log }

    public init(config: TrainConfig, comm: Communicator) throws {
        self.config = config
        self.comm = comm
        loop = try TrainingLoop(settings: try config.loopSettings(), comm: comm)
    }

    /// Checks, builds the dataset, network and optimizer, then runs the loop.
    public func train() throws {
        // First of all, before any collective that depends on them (dataset
        // validation, bucket layout, checkpoint steps).
        try loop.checkAgreement(on: config.agreementSignature, what: "the settings")
        try loop.requireDivisibleBatch()
        let threads = ThreadPlan.configure(
            requested: config.threads, convAlgorithm: config.convAlgorithm, comm: comm, log: log)
        try TrainingMemory.check(
            arch: config.arch, widthDivisor: config.widthDivisor, localBatch: config.batchSize / comm.size,
            crop: config.cropSize, comm: comm)
        log.info(
            "eps-dist train: \(comm.size) rank(s) × \(threads) thread(s) (conv \(config.convAlgorithm.rawValue)), \(config.method.rawValue) on "
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

        let dataset = try loop.loadValidatedDataset(
            config.datasetConfig, skipBad: config.skipBad, requireSaliency: config.method == .eps)
        guard dataset.samples.count >= config.batchSize else {
            throw UsageError(
                "\(config.trainList): \(dataset.samples.count) usable images, fewer than one global batch of "
                    + "\(config.batchSize)"
            )
        }
        let model = ClassifierModel(
            architecture: config.arch, method: config.method, numClasses: dataset.numClasses,
            widthDivisor: config.widthDivisor, tau: config.tau, lam: config.lam)
        let (startStep, elapsedBefore) = try loop.initializeWeights(
            model, initial: config.weights,
            load: {
                _ = try Checkpoint.restore(try WeightFiles.read($0), into: model, path: $0, allowMissingHead: true)
            },
            withoutWeights: config.arch.trainsFromScratch
                ? nil
                // Every BN is frozen (as the reference), so a random init has no
                // normalisation at all and the deep residual stack blows up.
                : "no --weights: \(config.arch.rawValue) starts from a random initialisation with frozen BatchNorm, "
                    + "which does not train (losses explode); pass ImageNet weights (.params, .pth or .safetensors)")
        try loop.checkAgreement(on: model.store.layoutSignature, what: "the network")

        let loader = makeLoader(dataset, steps: startStep..<config.maxIters)
        loader.start()
        defer { loader.stop() }
        let optimizer: Optimizer =
            switch config.optimizer {
            case .sgd:
                PolySGD(
                    baseLR: config.lr, weightDecay: config.wtDec, momentum: config.momentum, maxStep: config.maxIters)
            case .adam: PolyAdam(baseLR: config.lr, weightDecay: config.wtDec, maxStep: config.maxIters)
            }
        let local = config.batchSize / comm.size
        let crop = config.cropSize
        try loop.train(
            model, loader: loader, optimizer: optimizer, startStep: startStep, elapsedBefore: elapsedBefore
        ) { batch in
            LocalBatch(
                images: Tensor(shape: [local, 3, crop, crop], data: batch.images),
                saliency: batch.saliency.map { Tensor(shape: [local, 1, crop, crop], data: $0) },
                labels: batch.labels, sampleKeys: batch.sampleKeys)
        }
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
}
