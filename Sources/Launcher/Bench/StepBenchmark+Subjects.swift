import Engine
import Foundation
import Support

/// The model, fixed batch and optimizer one `bench` run times, as the
/// corresponding trainer sets them up.
struct BenchSubject {
    let model: TrainableModel
    let batch: LocalBatch
    let optimizer: Optimizer
    /// What each layer keeps and computes in backward (`--plan`).
    let planTable: String
    /// "resnet38 eps", "deeplabv2-resnet101 (frozen BN, scales 1, 0.5, 0.75)".
    let label: String
    /// What the JSON records of the network besides the shared figures.
    let identity: [String: Any]
}

extension StepBenchmark {
    /// `--num-classes` unless given: VOC's 20 classes for the classifier, 21
    /// (with the background) for the segmentation network.
    var numClasses: Int {
        options.numClasses ?? { if case .segmentation = options.arch { return 21 } else { return 20 } }()
    }

    // Learning rate 0 in both: the update does all its work but the weights
    // stay put, so every timed step computes the same (a random-init network
    // trained for real could diverge, and a non-finite step skips the update).
    func makeSubject() -> BenchSubject {
        let o = options
        switch o.arch {
        case .classifier(let arch):
            let model = ClassifierModel(
                architecture: arch, method: o.method, numClasses: numClasses, widthDivisor: o.widthDivisor)
            model.initialize(seed: 1)
            return BenchSubject(
                model: model, batch: Self.randomBatch(size: o.batchSize, crop: o.cropSize, classes: numClasses),
                optimizer: PolySGD(baseLR: 0, weightDecay: 5e-4, momentum: 5e-4, maxStep: 1000),
                planTable: model.backwardPlanTable, label: "\(arch.rawValue) \(o.method.rawValue)",
                identity: ["arch": arch.rawValue, "method": o.method.rawValue])
        case .segmentation(let arch):
            // deeplab-pytorch's fine-tuning: every BN frozen, SGD momentum 0.9,
            // weight decay 5e-4 except biases, the head's groups ×10/×20. The
            // tiny preset trains its BN from scratch (batch statistics), as seg-train.
            let name = arch.rawValue
            let model = DeepLabV2Model(
                spec: arch.spec.narrowed(by: o.widthDivisor), numClasses: numClasses, batchNorm: arch.batchNorm)
            model.initialize(seed: 1)
            let scales = [1] + model.scales
            return BenchSubject(
                model: model,
                batch: Self.randomSegmentationBatch(size: o.batchSize, crop: o.cropSize, classes: numClasses),
                optimizer: PolySGD(baseLR: 0, weightDecay: 5e-4, momentum: 0.9, maxStep: 1000),
                planTable: BackwardPlan.table(model.network),
                label:
                    "\(name) (\(model.batchNorm.rawValue) BN, scales "
                    + "\(scales.map { String(format: "%g", $0) }.joined(separator: ", ")))",
                identity: [
                    "arch": name, "num_classes": numClasses, "batch_norm": model.batchNorm.rawValue, "scales": scales,
                ])
        }
    }

    /// A fixed random batch: images in [-2, 2], saliency in [0, 1], ~15 % of labels on.
    static func randomBatch(size b: Int, crop c: Int, classes: Int) -> LocalBatch {
        var rng = KeyedRandom(key: KeyedRandom.Stream.benchmarkBatch)
        let images = Tensor(shape: [b, 3, c, c], data: (0..<(b * 3 * c * c)).map { _ in rng.uniform(-2, 2) })
        let saliency = Tensor(shape: [b, 1, c, c], data: (0..<(b * c * c)).map { _ in rng.nextUnitFloat() })
        let labels = (0..<(b * classes)).map { _ in rng.nextUnitFloat() < 0.15 ? Float(1) : 0 }
        return LocalBatch(images: images, saliency: saliency, labels: labels, sampleKeys: (0..<b).map { UInt64($0) })
    }

    /// A fixed random segmentation batch: images in [-2, 2], label maps of
    /// random classes with ~10 % ignored (255) pixels.
    static func randomSegmentationBatch(size b: Int, crop c: Int, classes: Int) -> LocalBatch {
        var rng = KeyedRandom(key: KeyedRandom.Stream.benchmarkBatch)
        let images = Tensor(shape: [b, 3, c, c], data: (0..<(b * 3 * c * c)).map { _ in rng.uniform(-2, 2) })
        let masks = (0..<(b * c * c)).map { _ in
            rng.nextUnitFloat() < 0.1
                ? SegmentationCrossEntropy.ignoredLabel
                : UInt8(min(Int(rng.nextUnitFloat() * Float(classes)), classes - 1))
        }
        return LocalBatch(
            images: images, saliency: nil, labels: [], sampleKeys: (0..<b).map { UInt64($0) }, masks: masks)
    }
}
