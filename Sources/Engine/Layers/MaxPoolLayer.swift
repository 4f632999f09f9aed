/// Max pooling as a layer (the ResNet-50 and DeepLab-v2 stems): square window, -inf padding.
public final class MaxPoolLayer: ParameterFreeLayer {
    public let name: String
    public let kernel, stride, pad: Int
    public let ceilMode: Bool
    public var plan = BackwardPlan.skipped
    /// Index of each output's maximum, reused from step to step.
    private var argmax: [Int32] = []
    private var inputShape: [Int] = []

    public init(_ name: String = "maxpool", kernel: Int, stride: Int, pad: Int, ceilMode: Bool = false) {
        self.ceilMode = ceilMode
        self.name = name
        self.kernel = kernel
        self.stride = stride
        self.pad = pad
        planBackward()
    }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        inputShape = x.shape
        return MaxPool.forward(x, kernel: kernel, stride: stride, pad: pad, ceilMode: ceilMode, argmax: &argmax)
    }

    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        MaxPool.backward(gradY: gradY, argmax: argmax, inputShape: inputShape)
    }
}
