/// ReLU as a layer (no parameters).
public final class ReLULayer: Layer {
    public var needsInputGradient = true
    /// No parameters: nothing to train (backward still runs through it when a
    /// trained layer lies before it).
    public var isFrozen: Bool { true }
    private var output = Tensor(zeros: [0])
    public init() {}

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let y = ReLU.forward(x)
        output = context.keepForBackward ? y : Tensor(zeros: [0])
        return y
    }

    public func backward(_ gradY: Tensor) -> Tensor? { ReLU.backward(gradY: gradY, output: output) }
}

/// Dropout2d as a layer: active only in training, mask keyed per sample.
public final class Dropout2dLayer: Layer {
    public let p: Float
    /// Distinguishes the draws of two dropout layers for the same sample.
    public let salt: UInt64
    public var needsInputGradient = true
    public var isFrozen: Bool { true }
    private var mask: [Float]? = nil

    public init(p: Float, salt: UInt64) { self.p = p; self.salt = salt }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        guard context.training, p > 0 else { mask = nil; return x }
        precondition(context.sampleKeys.count == x.shape[0], "dropout needs one key per sample")
        let m = Dropout2d.mask(sampleKeys: context.sampleKeys, channels: x.shape[1], p: p, salt: salt)
        mask = m
        return Dropout2d.apply(x, mask: m)
    }

    public func backward(_ gradY: Tensor) -> Tensor? {
        guard let mask else { return gradY }
        return Dropout2d.apply(gradY, mask: mask)
    }
}

/// BatchNorm2d with `<name>.weight/.bias/.running_mean/.running_var`.
/// `useBatchStatistics` false (how EPS runs every BN): running statistics,
/// never updated. Parameter gradients accumulate only when the weight entry is
/// trainable (EPS freezes them).
public final class BatchNormLayer: Layer {
    public let name: String
    let store: ParameterStore
    let weightIndex, biasIndex, meanIndex, varIndex: Int
    public var useBatchStatistics: Bool
    public var needsInputGradient = true
    private var cache: BatchNorm.Cache? = nil

    public init(_ name: String, store: ParameterStore, channels: Int, useBatchStatistics: Bool = false) {
        self.name = name; self.store = store; self.useBatchStatistics = useBatchStatistics
        weightIndex = store.declare("\(name).weight", shape: [channels], kind: .parameter(.backboneWeight), trainable: false)
        biasIndex = store.declare("\(name).bias", shape: [channels], kind: .parameter(.backboneBias), trainable: false)
        meanIndex = store.declare("\(name).running_mean", shape: [channels], kind: .buffer)
        varIndex = store.declare("\(name).running_var", shape: [channels], kind: .buffer)
        store.valueBuffer(weightIndex).update(repeating: 1)
        store.valueBuffer(varIndex).update(repeating: 1)
    }

    public var isFrozen: Bool { !store.entries[weightIndex].trainable }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        var mean = Array(store.valueBuffer(meanIndex)), variance = Array(store.valueBuffer(varIndex))
        let training = context.training && useBatchStatistics
        let (y, c) = BatchNorm.forward(x, weight: Array(store.valueBuffer(weightIndex)), bias: Array(store.valueBuffer(biasIndex)),
                                       runningMean: &mean, runningVar: &variance, training: training,
                                       keepInput: !isFrozen && context.keepForBackward)
        if training {
            _ = store.valueBuffer(meanIndex).update(fromContentsOf: mean)
            _ = store.valueBuffer(varIndex).update(fromContentsOf: variance)
        }
        cache = context.keepForBackward ? c : nil
        return y
    }

    public func backward(_ gradY: Tensor) -> Tensor? {
        BatchNorm.backward(gradY: gradY, cache: cache!, weight: Array(store.valueBuffer(weightIndex)),
                           gradWeight: isFrozen ? nil : store.gradient(weightIndex),
                           gradBias: isFrozen ? nil : store.gradient(biasIndex))
    }
}

/// Max pooling as a layer (the ResNet-50 stem): square window, -inf padding.
public final class MaxPoolLayer: Layer {
    public let kernel, stride, pad: Int
    public var needsInputGradient = true
    public var isFrozen: Bool { true }
    private var argmax: [Int32] = []
    private var inputShape: [Int] = []

    public init(kernel: Int, stride: Int, pad: Int) { self.kernel = kernel; self.stride = stride; self.pad = pad }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let r = MaxPool.forward(x, kernel: kernel, stride: stride, pad: pad)
        if context.keepForBackward { argmax = r.argmax; inputShape = x.shape }
        return r.y
    }

    public func backward(_ gradY: Tensor) -> Tensor? {
        MaxPool.backward(gradY: gradY, argmax: argmax, inputShape: inputShape)
    }
}
