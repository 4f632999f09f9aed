/// Layers applied in order; backward runs in reverse and stops below the
/// first layer with a trained parameter (nothing before it needs a gradient
/// unless the caller asks for the input gradient).
public final class Sequential: Layer {
    public let name: String
    public let layers: [Layer]
    public private(set) var plan: BackwardPlan

    public init(_ layers: [Layer], name: String = "sequential") {
        self.name = name
        self.layers = layers
        plan = .skipped
        planBackward()
    }

    public var sublayers: [Layer] { layers }
    public var hasTrainedParameters: Bool { layers.contains { $0.hasTrainedParameters } }

    public func planBackward(reached: Bool, inputGradient: Bool) {
        // Backward is needed from the first trained layer on, or everywhere
        // when the caller uses the input gradient.
        let first = inputGradient ? 0 : (layers.firstIndex { $0.hasTrainedParameters } ?? layers.count)
        for (i, layer) in layers.enumerated() {
            layer.planBackward(reached: reached && i >= first, inputGradient: i > first || inputGradient)
        }
        plan = BackwardPlan(
            reached: reached && first < layers.count, inputGradient: inputGradient,
            parameterGradients: hasTrainedParameters)
    }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        var y = x
        for layer in layers { y = layer.forward(y, context) }
        return y
    }

    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        var g = gradY
        for layer in layers.reversed() where layer.plan.reached {
            guard let next = layer.backward(g, sink: sink) else { return nil }
            g = next
        }
        return plan.inputGradient ? g : nil
    }
}
