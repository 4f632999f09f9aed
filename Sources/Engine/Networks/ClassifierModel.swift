import Foundation
import Support

/// Training method: EPS (C+1 maps, saliency loss) or the CAM baseline (C maps).
public enum Method: String, CaseIterable, Sendable { case eps, cam }

/// Backbone + head as the reference's resnet38_eps / resnet38_cls nets.
/// EPS head: fc8 (1×1, no bias, Xavier) → cam [n, C+1, h, w], background last;
/// logits = global average pool of the raw maps.
/// CAM head: dropout7 (p 0.5) → global average pool → fc8 → logits [n, C];
/// maps for inference = ReLU(fc8 applied densely).
public final class ClassifierModel: TrainableModel {
    public let store = ParameterStore()
    public let architecture: Architecture
    public let method: Method
    public let numClasses: Int
    public let backbone: Backbone
    public let fc8: Conv2dLayer
    let dropout7 = Dropout2dLayer("dropout7", p: 0.5, salt: DropoutSalt.camHead)
    /// The saliency loss's overlap threshold τ and weight λ (EPS only).
    public let tau: Float, lam: Float

    public init(
        architecture: Architecture, method: Method, numClasses: Int, widthDivisor: Int = 1,
        tau: Float = 0.4, lam: Float = 0.5
    ) {
        self.architecture = architecture
        self.method = method
        self.numClasses = numClasses
        self.tau = tau
        self.lam = lam
        backbone = Backbones.make(architecture, store: store, widthDivisor: widthDivisor)
        fc8 = Conv2dLayer(
            "fc8", store: store, cin: backbone.featureChannels, cout: method == .eps ? numClasses + 1 : numClasses,
            kernel: 1, group: .headWeight)
    }

    /// Number of maps the head produces (C+1 for EPS, C for CAM).
    public var numMaps: Int { fc8.cout }

    /// Deterministic initialisation from a seed: Kaiming-normal backbone convs
    /// (fan-in, ReLU gain), zero biases, Xavier-uniform fc8 (as the reference).
    public func initialize(seed: UInt64) {
        for (i, entry) in store.entries.enumerated() {
            guard case .parameter = entry.kind, entry.shape.count == 4 else { continue }
            var rng = KeyedRandom(key: KeyedRandom.key(seed, UInt64(i)))
            let fanIn = entry.shape[1] * entry.shape[2] * entry.shape[3]
            let fanOut = entry.shape[0] * entry.shape[2] * entry.shape[3]
            let values = store.valueBuffer(i)
            if entry.name.hasPrefix("fc8.") {
                let bound = Float((6.0 / Double(fanIn + fanOut)).squareRoot())
                for j in 0..<entry.count { values[j] = rng.uniform(-bound, bound) }
            } else {
                let std = Float((2.0 / Double(fanIn)).squareRoot())
                for j in 0..<entry.count { values[j] = rng.normal() * std }
            }
        }
    }

    /// Makes every BatchNorm that learns with batch statistics take them over
    /// the global batch (all ranks) through `reducer` (SyncBatchNorm).
    public func synchronizeBatchStatistics(_ reducer: BatchStatisticsReducer) {
        func visit(_ layer: Layer) {
            if let bn = layer as? BatchNormLayer, bn.useBatchStatistics { bn.statisticsReducer = reducer }
            layer.sublayers.forEach(visit)
        }
        visit(backbone.layers)
    }

    /// Maps used for pseudo-masks, in eval mode: EPS raw cam [n, C+1, h, w]
    /// (the caller applies the softmax), CAM ReLU(fc8(features)) [n, C, h, w].
    public func inferenceMaps(_ images: Tensor) -> Tensor {
        let maps = fc8.forward(backbone.layers.forward(images, .inference), .inference)
        return method == .eps ? maps : ReLU.forward(maps)
    }

    /// The whole network's backward plan, one line per layer.
    public var backwardPlanTable: String {
        BackwardPlan.table(backbone.layers) + "\n" + BackwardPlan.table(fc8)
            + (method == .cam ? "\n" + BackwardPlan.table(dropout7) : "")
    }

    /// Forward, loss and backward of one local batch; gradients accumulate
    /// into the store (the caller zeroes them and averages across ranks).
    public func accumulateGradients(_ batch: LocalBatch, sink: GradientSink) -> StepLosses {
        let start = Date()
        let context = ForwardContext(training: true, sampleKeys: batch.sampleKeys)
        let labels = batch.labels
        let features = backbone.layers.forward(batch.images, context)
        let n = batch.images.shape[0]
        var lossCls: Float = 0
        var lossSal: Float = 0
        let gradFeatures: Tensor
        var forwardDone = Date()
        switch method {
        case .eps:
            guard let saliency = batch.saliency else { preconditionFailure("EPS training needs saliency maps") }
            let cam = fc8.forward(features, context)
            let objective = EPSObjective.compute(cam: cam, saliency: saliency, labels: labels, tau: tau, lam: lam)
            lossCls = objective.lossCls
            lossSal = objective.lossSal
            forwardDone = Date()
            gradFeatures = fc8.backward(objective.gradCam, sink: sink)!
        case .cam:
            let dropped = dropout7.forward(features, context)
            let pooled = GlobalAveragePool.forward(dropped)
            let logits = fc8.forward(pooled, context)
            let cls = MultilabelSoftMargin.compute(
                logits: logits.values, labels: labels, batch: n,
                stride: numClasses, classes: numClasses)
            lossCls = cls.loss
            forwardDone = Date()
            let gradPooled = fc8.backward(Tensor(shape: logits.shape, data: cls.grad), sink: sink)!
            let gradDropped = GlobalAveragePool.backward(gradY: gradPooled, inputShape: dropped.shape)
            gradFeatures = dropout7.backward(gradDropped, sink: sink)!
        }
        _ = backbone.layers.backward(gradFeatures, sink: sink)
        let end = Date()
        return StepLosses(
            lossCls: lossCls, lossSal: lossSal,
            forwardSeconds: forwardDone.timeIntervalSince(start),
            backwardSeconds: end.timeIntervalSince(forwardDone))
    }
}
