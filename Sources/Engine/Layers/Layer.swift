/// What a forward pass needs to know besides its input.
public struct ForwardContext: Sendable {
    /// Training mode: dropout active. (BatchNorm follows its own `frozen` flag.)
    public var training: Bool
    /// One random key per sample of the batch (DESIGN §4: draws keyed by
    /// (seed, epoch, sample index), independent of the rank holding it).
    public var sampleKeys: [UInt64]
    /// Whether layers keep what backward needs (inputs, masks). Off for
    /// inference, where it would hold every activation of the network.
    public var keepForBackward: Bool

    public init(training: Bool, sampleKeys: [UInt64] = [], keepForBackward: Bool = true) {
        self.training = training
        self.sampleKeys = sampleKeys
        self.keepForBackward = keepForBackward
    }

    public static let inference = ForwardContext(training: false, keepForBackward: false)

    /// The same pass for layers whose backward will not run: they keep nothing.
    public var withoutBackward: ForwardContext {
        var c = self
        c.keepForBackward = false
        return c
    }
}

/// A layer with explicit forward and backward, side by side. `forward` caches
/// what `backward` needs; `backward` accumulates parameter gradients into the
/// ParameterStore and returns the input gradient (nil when not needed).
public protocol Layer: AnyObject {
    func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor
    func backward(_ gradY: Tensor) -> Tensor?
    /// False for the first layer that gets a gradient: its input gradient is
    /// never used, so it is not computed (EPS stops backward at b3's input).
    var needsInputGradient: Bool { get set }
    /// True when neither this layer nor anything it contains has a trained
    /// parameter (parameter-less layers included), so the backward pass can
    /// stop before it when no trained layer precedes it.
    var isFrozen: Bool { get }
}

/// Layers applied in order; backward runs in reverse and stops below the last
/// trainable layer.
public final class Sequential: Layer {
    public let layers: [Layer]
    public var needsInputGradient = true {
        didSet { configureGradientFlow() }
    }

    public init(_ layers: [Layer]) {
        self.layers = layers
        configureGradientFlow()
    }

    public var isFrozen: Bool { layers.allSatisfy(\.isFrozen) }

    /// Index of the first layer that needs a backward pass at all.
    private var firstTrained: Int { layers.firstIndex { !$0.isFrozen } ?? layers.count }

    private func configureGradientFlow() {
        let first = firstTrained
        for (i, layer) in layers.enumerated() where i >= first {
            layer.needsInputGradient = i > first || needsInputGradient
        }
    }

    /// Layers below the first trained one keep nothing for backward when no
    /// input gradient is asked for: their backward never runs (ResNet-38's
    /// conv1a and b2 stage in EPS).
    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let first = needsInputGradient ? 0 : firstTrained
        var y = x
        for (i, layer) in layers.enumerated() { y = layer.forward(y, i < first ? context.withoutBackward : context) }
        return y
    }

    public func backward(_ gradY: Tensor) -> Tensor? {
        var g = gradY
        let first = firstTrained
        for i in stride(from: layers.count - 1, through: first, by: -1) {
            guard let next = layers[i].backward(g) else { return nil }
            g = next
        }
        return first == 0 && needsInputGradient ? g : nil
    }
}
