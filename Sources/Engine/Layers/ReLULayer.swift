/// ReLU as a layer (no parameters). Keeps its output for backward.
public final class ReLULayer: ParameterFreeLayer {
    public let name: String
    public var plan = BackwardPlan.skipped
    private var output: Tensor? = nil

    public init(_ name: String = "relu") {
        self.name = name
        planBackward()
    }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let y = ReLU.forward(x)
        output = plan.keeps(context) ? y : nil
        return y
    }

    /// Releases what forward kept (every layer's backward does), so the
    /// next step finds the buffers unshared in the pool.
    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        guard let output else { preconditionFailure("\(name): backward without a forward that kept its output") }
        defer { self.output = nil }
        return ReLU.backward(gradY: gradY, output: output)
    }
}
