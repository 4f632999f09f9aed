/// ReLU (or ReLU6 with `six`, EfficientNet-Lite's) as a layer (no
/// parameters). Keeps its output for backward.
public final class ReLULayer: ParameterFreeLayer {
    public let name: String
    public let six: Bool
    public var plan = BackwardPlan.skipped
    private var output: Tensor? = nil

    public init(_ name: String = "relu", six: Bool = false) {
        self.name = name
        self.six = six
        planBackward()
    }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let y = six ? ReLU6.forward(x) : ReLU.forward(x)
        output = plan.keeps(context) ? y : nil
        return y
    }

    /// Releases what forward kept (every layer's backward does), so the
    /// next step finds the buffers unshared in the pool.
    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        guard let output else { preconditionFailure("\(name): backward without a forward that kept its output") }
        defer { self.output = nil }
        return six ? ReLU6.backward(gradY: gradY, output: output) : ReLU.backward(gradY: gradY, output: output)
    }
}
