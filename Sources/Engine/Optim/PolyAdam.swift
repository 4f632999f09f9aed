import Foundation

/// Adam (torch.optim.Adam, L2 weight decay added to the gradient, not AdamW)
/// on the poly schedule, for networks trained from scratch. The first moment
/// lives in the store's momentum arena, the second in its second-moment arena;
/// the bias corrections use t + 1 (PyTorch's step count), so a resumed run
/// continues exactly. Per element:
///   g = grad + wd·w;  m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²
///   w = w − lr·(m / (1 − β1^(t+1))) / (sqrt(v / (1 − β2^(t+1))) + ε)
public struct PolyAdam: Optimizer {
    public var baseLR: Float
    public var weightDecay: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var maxStep: Int
    public var power: Double
    public var scheduleStride = 1

    public init(
        baseLR: Float, weightDecay: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        maxStep: Int, power: Double = 0.9
    ) {
        self.baseLR = baseLR
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.maxStep = maxStep
        self.power = power
    }

    public func step(_ store: ParameterStore, step t: Int) {
        let correction1 = 1 - pow(beta1, Float(t + 1))
        let correction2 = 1 - pow(beta2, Float(t + 1))
        forEachTrainable(store, step: t, weightDecay: weightDecay) { offset, count, lr, decay in
            let w = store.values + offset
            let grad = store.gradients + offset
            let m = store.momentum + offset
            let v = store.secondMoment + offset
            let stepSize = lr / correction1
            let root2 = correction2.squareRoot()
            for i in 0..<count {
                let g = grad[i] + decay * w[i]
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                w[i] -= stepSize * m[i] / (v[i].squareRoot() / root2 + epsilon)
            }
        }
    }
}
