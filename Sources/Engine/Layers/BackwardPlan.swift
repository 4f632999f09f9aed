/// What one layer keeps and computes for the backward pass, fixed once when
/// the network is built (`Layer.planBackward`). ResNet-38 in EPS: conv1a and
/// the b2 stage are frozen and lie before every trained layer, so backward
/// never reaches them and they keep nothing; b3's first convolutions compute
/// no input gradient (nothing before them would use it).
public struct BackwardPlan: Equatable, Sendable, CustomStringConvertible {
    /// Backward runs through the layer, so a training forward keeps what its
    /// backward needs (a convolution its input, ReLU its output, a frozen
    /// BatchNorm only per-channel statistics, dropout its mask).
    public var reached: Bool
    /// The gradient of the layer's input is computed.
    public var inputGradient: Bool
    /// The layer's own parameters get gradients (trained and reached).
    public var parameterGradients: Bool

    public init(reached: Bool, inputGradient: Bool, parameterGradients: Bool) {
        self.reached = reached
        self.inputGradient = reached && inputGradient
        self.parameterGradients = reached && parameterGradients
    }

    /// Not reached by backward: keeps nothing, computes nothing.
    public static let skipped = BackwardPlan(reached: false, inputGradient: false, parameterGradients: false)

    /// Whether a forward in this context keeps what backward needs.
    public func keeps(_ context: ForwardContext) -> Bool { reached && context.backwardFollows }

    public var description: String {
        guard reached else { return "skipped" }
        return ["backward", inputGradient ? "input grad" : nil, parameterGradients ? "param grads" : nil]
            .compactMap { $0 }.joined(separator: ", ")
    }

    /// One line per layer (nested layers indented), for `eps-dist bench --plan`.
    public static func table(_ root: Layer) -> String {
        var lines: [String] = []
        func visit(_ layer: Layer, depth: Int) {
            let label = String(repeating: "  ", count: depth) + layer.name
            let pad = String(repeating: " ", count: max(1, 36 - label.count))
            lines.append(label + pad + layer.plan.description)
            for inner in layer.sublayers { visit(inner, depth: depth + 1) }
        }
        visit(root, depth: 0)
        return lines.joined(separator: "\n")
    }
}

/// A layer without parameters: its plan only follows where backward reaches.
public protocol ParameterFreeLayer: Layer {
    var plan: BackwardPlan { get set }
}

extension ParameterFreeLayer {
    public var hasTrainedParameters: Bool { false }
    public func planBackward(reached: Bool, inputGradient: Bool) {
        plan = BackwardPlan(reached: reached, inputGradient: inputGradient, parameterGradients: false)
    }
}
