/// ReLU as a layer (no parameters).
public final class ReLULayer: Layer {
    public var needsInputGradient = true
    /// No parameters: nothing to train (backward still runs through it when a
    /// trained layer lies before it).
    public var isFrozen: Bool { true }
    private var output: Tensor? = nil
    public init() {}

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let y = ReLU.forward(x)
        output = context.keepForBackward ? y : nil
        return y
    }

    /// Releases what forward kept (every layer's backward does), so the
    /// next step finds the buffers unshared in the pool.
    public func backward(_ gradY: Tensor) -> Tensor? {
        defer { output = nil }
        return ReLU.backward(gradY: gradY, output: output!)
    }
}

/// Dropout2d as a layer: active only in training, mask keyed per sample.
public final class Dropout2dLayer: Layer {
    public let p: Float
    /// Distinguishes the draws of two dropout layers for the same sample.
    public let salt: UInt64
    public var needsInputGradient = true
    public var isFrozen: Bool { true }
    private var mask: [Float] = []
    private var active = false

    public init(p: Float, salt: UInt64) { self.p = p; self.salt = salt }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        active = context.training && p > 0
        guard active else { return x }
        precondition(context.sampleKeys.count == x.shape[0], "dropout needs one key per sample")
        Dropout2d.fillMask(&mask, sampleKeys: context.sampleKeys, channels: x.shape[1], p: p, salt: salt)
        return Dropout2d.apply(x, mask: mask)
    }

    public func backward(_ gradY: Tensor) -> Tensor? {
        active ? Dropout2d.apply(gradY, mask: mask) : gradY
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
    private var cache = BatchNorm.Cache()
    private var cached = false

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
        cached = context.keepForBackward
        let y = BatchNorm.forward(x, weight: store.value(weightIndex), bias: store.value(biasIndex),
                                  runningMean: store.value(meanIndex), runningVar: store.value(varIndex),
                                  training: context.training && useBatchStatistics,
                                  keepInput: !isFrozen && context.keepForBackward, cache: &cache)
        if !cached { cache.xHat = nil }   // train-mode statistics without a backward to use them
        return y
    }

    public func backward(_ gradY: Tensor) -> Tensor? {
        precondition(cached, "\(name): backward without a forward that kept its statistics")
        defer { cache.xHat = nil; cache.input = nil; cached = false }   // the per-channel arrays stay for the next step
        return BatchNorm.backward(gradY: gradY, cache: cache, weight: store.value(weightIndex),
                                  gradWeight: isFrozen ? nil : store.gradient(weightIndex),
                                  gradBias: isFrozen ? nil : store.gradient(biasIndex))
    }
}

/// Max pooling as a layer (the ResNet-50 stem): square window, -inf padding.
public final class MaxPoolLayer: Layer {
    public let kernel, stride, pad: Int
    public var needsInputGradient = true
    public var isFrozen: Bool { true }
    /// Index of each output's maximum, reused from step to step.
    private var argmax: [Int32] = []
    private var inputShape: [Int] = []

    public init(kernel: Int, stride: Int, pad: Int) { self.kernel = kernel; self.stride = stride; self.pad = pad }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        inputShape = x.shape
        return MaxPool.forward(x, kernel: kernel, stride: stride, pad: pad, argmax: &argmax)
    }

    public func backward(_ gradY: Tensor) -> Tensor? {
        MaxPool.backward(gradY: gradY, argmax: argmax, inputShape: inputShape)
    }
}
