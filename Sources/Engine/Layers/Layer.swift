/// What a forward pass needs to know besides its input.
public struct ForwardContext: Sendable {
    /// Training mode: dropout active, and BatchNorm layers with `useBatchStatistics` use and update batch statistics.
    public var training: Bool
    /// One random key per sample of the batch (draws keyed by seed, epoch and
    /// sample index, independent of the rank holding the sample; see
    /// docs/ARCHITECTURE.md, "Random streams").
    public var sampleKeys: [UInt64]
    /// Whether a backward pass follows this forward pass. Off for inference;
    /// when on, each layer keeps what its own backward plan needs.
    public var backwardFollows: Bool

    public init(training: Bool, sampleKeys: [UInt64] = [], backwardFollows: Bool = true) {
        self.training = training
        self.sampleKeys = sampleKeys
        self.backwardFollows = backwardFollows
    }

    public static let inference = ForwardContext(training: false, backwardFollows: false)
}

/// A layer with explicit forward and backward, side by side. `forward` keeps
/// what `backward` needs (as the layer's `plan` says); `backward` accumulates
/// parameter gradients into the ParameterStore, tells the sink about each one
/// it finished, and returns the input gradient (nil when the plan asks for none).
public protocol Layer: AnyObject {
    /// A readable name (state_dict prefix for layers with parameters).
    var name: String { get }
    func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor
    /// Calling backward may start a collective: the sink is told of every
    /// finished parameter gradient (GradientBuckets starts allreduces there).
    func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor?
    /// What this layer keeps and computes for backward; set by `planBackward`.
    var plan: BackwardPlan { get }
    /// Whether this layer or anything inside it has a parameter being trained.
    var hasTrainedParameters: Bool { get }
    /// Fixes the plan of this layer and of the layers inside it: `reached` when
    /// the backward pass runs through it, `inputGradient` when the caller
    /// uses the gradient of its input.
    func planBackward(reached: Bool, inputGradient: Bool)
    /// The layers inside, for printing the plan (empty for leaf layers).
    var sublayers: [Layer] { get }
}

extension Layer {
    public var sublayers: [Layer] { [] }
    /// Plans a layer used on its own: backward reaches it and its input gradient is used.
    public func planBackward() { planBackward(reached: true, inputGradient: true) }
}
