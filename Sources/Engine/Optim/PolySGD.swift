import Foundation

/// The reference optimizer (PSA's PolyOptimizer): SGD whose learning rate of
/// each group is init_lr·mult·(1 − t/maxStep)^power for t < maxStep, frozen at
/// its last value after that. Its quirk is kept: the momentum it really uses
/// is the weight-decay value (0.0005), configurable here.
/// Update of every trainable parameter (as torch.optim.SGD, no dampening):
///   g = grad + wd·w;  buf = momentum·buf + g;  w = w − lr·buf.
public struct PolySGD: Sendable {
    public var baseLR: Float
    public var weightDecay: Float
    public var momentum: Float
    public var maxStep: Int
    public var power: Double

    public init(baseLR: Float, weightDecay: Float, momentum: Float, maxStep: Int, power: Double = 0.9) {
        self.baseLR = baseLR
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.maxStep = maxStep
        self.power = power
    }

    /// Learning rate of a group multiplier at 0-based step t.
    public func learningRate(step t: Int, multiplier: Float = 1) -> Float {
        let effective = min(t, max(maxStep - 1, 0))
        let factor = pow(1 - Double(effective) / Double(maxStep), power)
        return Float(Double(baseLR * multiplier) * factor)
    }

    /// One update of every trainable parameter of `store` at step t.
    public func step(_ store: ParameterStore, step t: Int) {
        for entry in store.entries where entry.trainable {
            guard case .parameter(let group) = entry.kind else { continue }
            let lr = learningRate(step: t, multiplier: group.lrMultiplier)
            Self.update(
                w: store.values + entry.offset, grad: store.gradients + entry.offset,
                buf: store.momentum + entry.offset, count: entry.count,
                lr: lr, weightDecay: group.decays ? weightDecay : 0, momentum: momentum)
        }
    }

    /// The SGD update of one tensor, in PyTorch's float32 order.
    public static func update(
        w: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, buf: UnsafeMutablePointer<Float>,
        count: Int, lr: Float, weightDecay: Float, momentum: Float
    ) {
        for i in 0..<count {
            let g = grad[i] + weightDecay * w[i]
            buf[i] = momentum * buf[i] + g
            w[i] = w[i] - lr * buf[i]
        }
    }
}
