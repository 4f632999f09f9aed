/// EfficientNet-Lite's inverted residual block (MBConv without
/// squeeze-excitation), names as the `efficientnet-lite-pytorch` state_dict
/// under `_blocks.N`:
///   t = relu6(_bn0(_expand_conv(x)))         1×1, cin → cin·expand (absent when expand = 1: t = x)
///   u = relu6(_bn1(_depthwise_conv(t)))      k×k depthwise, stride, dilation, TF "SAME" padding
///   y = _bn2(_project_conv(u)) (+ x when stride 1 and cin = cout; no activation after the sum)
/// Every BatchNorm uses eps 1e-3 and is frozen (running statistics, fixed affine).
public final class MBConvBlock: Layer {
    public let name: String
    let expand: (conv: Conv2dLayer, bn: BatchNormLayer, relu: ReLULayer)?
    let depthwise: Conv2dLayer, bn1: BatchNormLayer, relu1: ReLULayer
    let project: Conv2dLayer, bn2: BatchNormLayer
    public let hasSkip: Bool
    public private(set) var plan = BackwardPlan.skipped
    public let sublayers: [Layer]

    /// BatchNorm eps of EfficientNet-Lite (TensorFlow's batch_norm_epsilon 1e-3).
    public static let batchNormEps: Float = 1e-3

    public init(
        _ name: String, store: ParameterStore, in cin: Int, out cout: Int, expandRatio: Int, kernel: Int,
        stride: Int, dilation: Int = 1
    ) {
        self.name = name
        let mid = cin * expandRatio
        func bn(_ suffix: String, _ c: Int) -> BatchNormLayer {
            BatchNormLayer("\(name).\(suffix)", store: store, channels: c, eps: Self.batchNormEps)
        }
        expand =
            expandRatio == 1
            ? nil
            : (
                Conv2dLayer("\(name)._expand_conv", store: store, cin: cin, cout: mid, kernel: 1),
                bn("_bn0", mid), ReLULayer("\(name).relu6_expand", six: true)
            )
        depthwise = Conv2dLayer(
            "\(name)._depthwise_conv", store: store, cin: mid, cout: mid, kernel: kernel, stride: stride,
            padding: .same(kernel: kernel, stride: stride, dilation: dilation), dilation: dilation, groups: mid)
        bn1 = bn("_bn1", mid)
        relu1 = ReLULayer("\(name).relu6_depthwise", six: true)
        project = Conv2dLayer("\(name)._project_conv", store: store, cin: mid, cout: cout, kernel: 1)
        bn2 = bn("_bn2", cout)
        hasSkip = stride == 1 && cin == cout
        sublayers = (expand.map { [$0.conv, $0.bn, $0.relu] } ?? []) + [depthwise, bn1, relu1, project, bn2]
        planBackward()
    }

    public var hasTrainedParameters: Bool { sublayers.contains { $0.hasTrainedParameters } }

    /// Everything inside is reached with the block; the first convolution
    /// computes its input gradient only when the caller uses it.
    public func planBackward(reached: Bool, inputGradient: Bool) {
        for layer in sublayers { layer.planBackward(reached: reached, inputGradient: true) }
        (expand?.conv ?? depthwise).planBackward(reached: reached, inputGradient: inputGradient)
        plan = BackwardPlan(reached: reached, inputGradient: inputGradient, parameterGradients: hasTrainedParameters)
    }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let t = expand.map { $0.relu.forward($0.bn.forward($0.conv.forward(x, context), context), context) } ?? x
        let u = relu1.forward(bn1.forward(depthwise.forward(t, context), context), context)
        var y = bn2.forward(project.forward(u, context), context)
        if hasSkip { y.add(x) }
        return y
    }

    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        var g = project.backward(bn2.backward(gradY, sink: sink)!, sink: sink)!
        let gt = depthwise.backward(bn1.backward(relu1.backward(g, sink: sink)!, sink: sink)!, sink: sink)
        guard let gt else { return nil }
        if let expand {
            guard
                let gx = expand.conv.backward(
                    expand.bn.backward(expand.relu.backward(gt, sink: sink)!, sink: sink)!, sink: sink)
            else { return nil }
            g = gx
        } else {
            g = gt
        }
        if hasSkip { g.add(gradY) }
        return g
    }
}
