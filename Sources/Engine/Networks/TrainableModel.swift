/// One rank's share of a global batch, as the training step consumes it.
public struct LocalBatch {
    /// [n, 3, H, W], normalised.
    public var images: Tensor
    /// [n, 1, H, W] in [0, 1] (EPS only).
    public var saliency: Tensor?
    /// [n, C] image-level labels (0/1), row-major.
    public var labels: [Float]
    /// One random key per sample (dropout masks; see ForwardContext).
    public var sampleKeys: [UInt64]
    /// [n, H, W] label maps, class indices or 255 = ignore (segmentation only).
    public var masks: [UInt8]?

    public init(images: Tensor, saliency: Tensor?, labels: [Float], sampleKeys: [UInt64], masks: [UInt8]? = nil) {
        self.images = images
        self.saliency = saliency
        self.labels = labels
        self.sampleKeys = sampleKeys
        self.masks = masks
    }
}

/// The losses of one local batch and where its compute time went.
public struct StepLosses: Sendable {
    /// Classification loss (multilabel soft margin).
    public var lossCls: Float
    /// Saliency loss (EPS; 0 for the CAM baseline).
    public var lossSal: Float
    public var total: Float { lossCls + lossSal }
    public var forwardSeconds: Double
    public var backwardSeconds: Double

    public init(lossCls: Float, lossSal: Float, forwardSeconds: Double, backwardSeconds: Double) {
        self.lossCls = lossCls
        self.lossSal = lossSal
        self.forwardSeconds = forwardSeconds
        self.backwardSeconds = backwardSeconds
    }
}

/// A network the training step can train: its parameters live in `store`;
/// `accumulateGradients` runs forward, loss and backward of one local batch,
/// adding into the store's gradients and reporting each finished one to the sink.
public protocol TrainableModel: AnyObject {
    var store: ParameterStore { get }
    func accumulateGradients(_ batch: LocalBatch, sink: GradientSink) -> StepLosses
    /// Takes the batch statistics of BatchNorm in training over every replica
    /// through `reducer` (nothing to do for a network without such layers).
    func synchronizeBatchStatistics(_ reducer: BatchStatisticsReducer)
}
