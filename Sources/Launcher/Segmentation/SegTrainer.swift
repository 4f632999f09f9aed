import Data
import Distributed
import Engine
import Foundation
import Support

/// `seg-train`: DeepLab-v2 trained data-parallel on label maps (the
/// pseudo-masks) as deeplab-pytorch trains it, through the same loop, step,
/// checkpoints and signals as `train`.
public final class SegTrainer {
    let config: SegTrainConfig
    let comm: Communicator
    let loop: TrainingLoop
    var log: RankLog { loop.log }

    public init(config: SegTrainConfig, comm: Communicator) throws {
        self.config = config
        self.comm = comm
        loop = try TrainingLoop(settings: try config.loopSettings(), comm: comm)
    }

    public func train() throws {
        try loop.checkAgreement(on: config.agreementSignature, what: "the settings")
        try loop.requireDivisibleBatch()
        let threads = ThreadPlan.configure(
            requested: config.threads, convAlgorithm: config.convAlgorithm, comm: comm, log: log)
        let local = config.batchSize / comm.size
        try TrainingMemory.check(
            network: config.arch.rawValue,
            bytesPerPixel: config.arch.trainingBytesPerPixel / Double(config.widthDivisor), localBatch: local,
            crop: config.cropSize, comm: comm)
        log.info(
            "eps-dist seg-train: \(comm.size) rank(s) × \(threads) thread(s) (conv \(config.convAlgorithm.rawValue)), \(config.arch.rawValue) "
                + "(BatchNorm \(config.arch.batchNorm.rawValue)), global batch \(config.batchSize) × iter size "
                + "\(config.iterSize), crop \(config.cropSize), \(config.maxIters) updates")
        log.info(
            "recipe: \(config.optimizer == .sgd ? "SGD momentum \(config.momentum)" : "Adam") lr \(config.lr) "
                + "(\(config.arch.trainsFromScratch ? "ASPP as the rest" : "ASPP weights ×10, biases ×20"); poly 0.9 "
                + "every \(config.lrUpdateEvery) update(s)), weight decay "
                + "\(config.wtDec), scales 0.5–1.5, multi-scale loss (1, 0.75, 0.5, max); defaults of the "
                + "\(config.dataset.rawValue) \(config.arch.rawValue) preset")

        let dataset = try loop.loadValidatedDataset(
            datasetConfig, skipBad: config.skipBad, requireSaliency: false, imageLabels: false)
        guard dataset.samples.count >= config.batchSize else {
            throw UsageError(
                "\(config.trainList): \(dataset.samples.count) usable images, fewer than one global batch of "
                    + "\(config.batchSize)")
        }
        let model = DeepLabV2Model(
            spec: config.arch.spec.narrowed(by: config.widthDivisor), numClasses: dataset.segmentationClasses,
            batchNorm: config.arch.batchNorm, headGroups: !config.arch.trainsFromScratch)
        model.lossScale = 1 / Float(config.iterSize)
        let (startStep, elapsedBefore) = try loop.initializeWeights(
            model, initial: config.weights,
            load: { path in
                let source = try DeepLabInitialWeights.load(path, into: model)
                self.log.info("initial weights: \(source.rawValue) layout")
            },
            withoutWeights: config.arch.trainsFromScratch
                ? nil
                : "no --weights: \(config.arch.rawValue) starts from a random initialisation with frozen BatchNorm, "
                    + "which does not train; pass deeplab-pytorch's deeplabv1_resnet101-coco.pth or ImageNet weights")
        try loop.checkAgreement(on: model.store.layoutSignature, what: "the network")

        let k = config.iterSize
        let sampler = GlobalSampler(
            datasetSize: dataset.samples.count, globalBatch: config.batchSize, seed: config.seed)
        let transform = SegmentationSampleTransform(
            augmentation: SegmentationAugmentation(
                cropSize: config.cropSize, normalization: config.arch.inputNormalization),
            classes: dataset.segmentationClasses)
        let loader = BatchLoader(
            dataset: dataset, sampler: sampler, transform: transform, rank: comm.rank, ranks: comm.size,
            steps: (startStep * k)..<(config.maxIters * k), workers: config.workers)
        loader.start()
        defer { loader.stop() }
        var optimizer: Optimizer
        switch config.optimizer {
        case .sgd:
            var sgd = PolySGD(
                baseLR: config.lr, weightDecay: config.wtDec, momentum: config.momentum, maxStep: config.maxIters)
            sgd.scheduleStride = config.lrUpdateEvery
            optimizer = sgd
        case .adam:
            var adam = PolyAdam(baseLR: config.lr, weightDecay: config.wtDec, maxStep: config.maxIters)
            adam.scheduleStride = config.lrUpdateEvery
            optimizer = adam
        }
        let crop = config.cropSize
        try loop.train(
            model, loader: loader, optimizer: optimizer, startStep: startStep, elapsedBefore: elapsedBefore
        ) { batch in
            LocalBatch(
                images: Tensor(shape: [local, 3, crop, crop], data: batch.images), saliency: nil, labels: [],
                sampleKeys: batch.sampleKeys, masks: batch.masks)
        }
    }

    var datasetConfig: DatasetConfig {
        DatasetConfig(
            kind: config.dataset, dataRoot: config.dataRoot, listFile: config.trainList, imageDir: config.imgDir,
            classNamesFile: config.classNames, labelDir: config.labelDir)
    }
}

extension SegArchitecture {
    /// Training memory per input pixel of a crop: the activations of the
    /// three scales kept for backward, with margin (measured peak RSS in docs/PERFORMANCE.md).
    var trainingBytesPerPixel: Double {
        switch self {
        case .deeplabv2Resnet101: 12_000
        case .deeplabv2Resnet50: 6_000
        case .deeplabv2Tiny: 1_500
        }
    }
}
