/// The reference optimizer (PSA's PolyOptimizer): SGD on the poly schedule.
/// Its quirk is kept: the momentum it really uses is the weight-decay value
/// (0.0005), configurable here. Update of every trainable parameter (as
/// torch.optim.SGD, no dampening):
///   g = grad + wd·w;  buf = momentum·buf + g;  w = w − lr·buf.
public struct PolySGD: Optimizer {
    public var baseLR: Float
    public var weightDecay: Float
    public var momentum: Float
    public var maxStep: Int
    public var power: Double
    public var scheduleStride = 1

    public init(baseLR: Float, weightDecay: Float, momentum: Float, maxStep: Int, power: Double = 0.9) {
        self.baseLR = baseLR
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.maxStep = maxStep
        self.power = power
    }

    public func step(_ store: ParameterStore, step t: Int) {
        forEachTrainable(store, step: t, weightDecay: weightDecay) { offset, count, lr, decay in
            Self.update(
                w: store.values + offset, grad: store.gradients + offset, buf: store.momentum + offset, count: count,
                lr: lr, weightDecay: decay, momentum: momentum)
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
