import Foundation

/// An update rule with the reference's poly schedule: the learning rate of
/// each parameter group is init_lr·mult·(1 − t/maxStep)^power for t < maxStep,
/// frozen at its last value after that.
public protocol Optimizer: Sendable {
    var baseLR: Float { get }
    var maxStep: Int { get }
    var power: Double { get }
    /// The rate changes every `scheduleStride` steps (deeplab-pytorch: 10), held in between.
    var scheduleStride: Int { get }
    /// One update of every trainable parameter of `store` at 0-based step t.
    func step(_ store: ParameterStore, step t: Int)
}

extension Optimizer {
    public var scheduleStride: Int { 1 }

    /// Learning rate of a group multiplier at 0-based step t.
    public func learningRate(step t: Int, multiplier: Float = 1) -> Float {
        let effective = min(t / scheduleStride * scheduleStride, max(maxStep - 1, 0))
        let factor = pow(1 - Double(effective) / Double(maxStep), power)
        return Float(Double(baseLR * multiplier) * factor)
    }

    /// Calls `update` with each trainable parameter's group learning rate and
    /// weight decay (none for the groups that do not decay).
    func forEachTrainable(
        _ store: ParameterStore, step t: Int, weightDecay: Float,
        _ update: (_ offset: Int, _ count: Int, _ lr: Float, _ weightDecay: Float) -> Void
    ) {
        for entry in store.entries where entry.trainable {
            guard case .parameter(let group) = entry.kind else { continue }
            update(
                entry.offset, entry.count, learningRate(step: t, multiplier: group.lrMultiplier),
                group.decays ? weightDecay : 0)
        }
    }
}
