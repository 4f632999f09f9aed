/// BatchNorm2d with `<name>.weight/.bias/.running_mean/.running_var`.
/// `useBatchStatistics` false (how EPS runs every BN of a pretrained ResNet):
/// running statistics, never updated. True (the from-scratch `small` net):
/// batch statistics in training, summed over the replicas by
/// `statisticsReducer` when one is set (SyncBatchNorm), running statistics
/// updated; inference uses the running statistics. Parameter gradients are
/// computed when the weight entry is trainable and reported to the sink like
/// a convolution's.
public final class BatchNormLayer: Layer {
    public let name: String
    let store: ParameterStore
    let weightIndex, biasIndex, meanIndex, varIndex: Int
    public var useBatchStatistics: Bool
    /// Added to the variance: PyTorch's default 1e-5, EfficientNet-Lite's 1e-3.
    public let eps: Float
    /// Sums the training statistics over every rank (nil: this replica's batch only).
    public var statisticsReducer: BatchStatisticsReducer?
    public private(set) var plan = BackwardPlan.skipped
    public var channels: Int { store.entries[weightIndex].count }
    /// Folded into the preceding convolution (BatchNormFolding): the input passes through, inference only.
    public internal(set) var folded = false
    private var cache = BatchNorm.Cache()
    private var cached = false

    public init(
        _ name: String, store: ParameterStore, channels: Int, useBatchStatistics: Bool = false, trainable: Bool = false,
        eps: Float = 1e-5
    ) {
        self.name = name
        self.eps = eps
        self.store = store
        self.useBatchStatistics = useBatchStatistics
        weightIndex = store.declare(
            "\(name).weight", shape: [channels], kind: .parameter(.backboneWeight), trainable: trainable)
        biasIndex = store.declare(
            "\(name).bias", shape: [channels], kind: .parameter(.backboneBias), trainable: trainable)
        meanIndex = store.declare("\(name).running_mean", shape: [channels], kind: .buffer)
        varIndex = store.declare("\(name).running_var", shape: [channels], kind: .buffer)
        store.valueBuffer(weightIndex).update(repeating: 1)
        store.valueBuffer(varIndex).update(repeating: 1)
        planBackward()
    }

    public var hasTrainedParameters: Bool { store.entries[weightIndex].trainable }
    public func planBackward(reached: Bool, inputGradient: Bool) {
        plan = BackwardPlan(reached: reached, inputGradient: inputGradient, parameterGradients: hasTrainedParameters)
    }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        if folded {
            precondition(!context.training && !context.backwardFollows, "\(name) is folded: inference only")
            return x
        }
        cached = plan.keeps(context)
        // Eval mode needs the input only for the weight gradient.
        let y = BatchNorm.forward(
            x, weight: store.value(weightIndex), bias: store.value(biasIndex),
            runningMean: store.value(meanIndex), runningVar: store.value(varIndex),
            training: context.training && useBatchStatistics, eps: eps,
            keepInput: cached && plan.parameterGradients, reducer: statisticsReducer, cache: &cache)
        if !cached { cache.xHat = nil }  // train-mode statistics without a backward to use them
        return y
    }

    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        precondition(cached, "\(name): backward without a forward that kept its statistics")
        defer {
            cache.xHat = nil
            cache.input = nil
            cached = false
        }  // the per-channel arrays stay for the next step
        let trains = plan.parameterGradients
        let gx = BatchNorm.backward(
            gradY: gradY, cache: cache, weight: store.value(weightIndex),
            gradWeight: trains ? store.gradient(weightIndex) : nil,
            gradBias: trains ? store.gradient(biasIndex) : nil, inputGradient: plan.inputGradient,
            reducer: statisticsReducer)
        if trains {
            sink.gradientReady(weightIndex)
            sink.gradientReady(biasIndex)
        }
        return gx
    }
}
