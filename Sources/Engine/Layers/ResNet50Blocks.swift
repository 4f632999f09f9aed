/// torchvision's ResNet-50 bottleneck (v1.5, stride on the 3×3 conv), names
/// as its state_dict: conv1 (1×1) → bn1 → relu → conv2 (3×3, stride,
/// dilation) → bn2 → relu → conv3 (1×1, ×4) → bn3; shortcut = downsample.0
/// (1×1 conv, stride) → downsample.1 (BN) when the shape changes, else x;
/// y = relu(branch + shortcut).
public final class Bottleneck: Layer {
    public let name: String
    let conv1, conv2, conv3: Conv2dLayer
    let bn1, bn2, bn3: BatchNormLayer
    let relu1, relu2, reluOut: ReLULayer
    let downsample: (conv: Conv2dLayer, bn: BatchNormLayer)?
    public private(set) var plan = BackwardPlan.skipped

    public init(_ name: String, store: ParameterStore, in cin: Int, planes: Int, stride: Int = 1, dilation: Int = 1) {
        let cout = planes * 4
        self.name = name
        relu1 = ReLULayer("\(name).relu1")
        relu2 = ReLULayer("\(name).relu2")
        reluOut = ReLULayer("\(name).relu")
        conv1 = Conv2dLayer("\(name).conv1", store: store, cin: cin, cout: planes, kernel: 1)
        bn1 = BatchNormLayer("\(name).bn1", store: store, channels: planes)
        conv2 = Conv2dLayer(
            "\(name).conv2", store: store, cin: planes, cout: planes, kernel: 3, stride: stride, pad: dilation,
            dilation: dilation)
        bn2 = BatchNormLayer("\(name).bn2", store: store, channels: planes)
        conv3 = Conv2dLayer("\(name).conv3", store: store, cin: planes, cout: cout, kernel: 1)
        bn3 = BatchNormLayer("\(name).bn3", store: store, channels: cout)
        downsample =
            (stride != 1 || cin != cout)
            ? (
                Conv2dLayer("\(name).downsample.0", store: store, cin: cin, cout: cout, kernel: 1, stride: stride),
                BatchNormLayer("\(name).downsample.1", store: store, channels: cout)
            )
            : nil
        sublayers =
            [conv1, bn1, relu1, conv2, bn2, relu2, conv3, bn3] + (downsample.map { [$0.conv, $0.bn] } ?? []) + [reluOut]
        planBackward()
    }

    public let sublayers: [Layer]
    public var hasTrainedParameters: Bool { sublayers.contains { $0.hasTrainedParameters } }

    /// Everything inside is reached with the block; only conv1 and the
    /// downsampling conv skip their input gradient when none is asked for.
    public func planBackward(reached: Bool, inputGradient: Bool) {
        for layer in sublayers { layer.planBackward(reached: reached, inputGradient: true) }
        conv1.planBackward(reached: reached, inputGradient: inputGradient)
        downsample?.conv.planBackward(reached: reached, inputGradient: inputGradient)
        plan = BackwardPlan(reached: reached, inputGradient: inputGradient, parameterGradients: hasTrainedParameters)
    }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let t = relu1.forward(bn1.forward(conv1.forward(x, context), context), context)
        let u = relu2.forward(bn2.forward(conv2.forward(t, context), context), context)
        var y = bn3.forward(conv3.forward(u, context), context)
        let shortcut = downsample.map { $0.bn.forward($0.conv.forward(x, context), context) } ?? x
        y.add(shortcut)
        return reluOut.forward(y, context)
    }

    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        let g = reluOut.backward(gradY, sink: sink)!
        var branch = bn3.backward(g, sink: sink)!
        branch = conv3.backward(branch, sink: sink)!
        branch = bn2.backward(relu2.backward(branch, sink: sink)!, sink: sink)!
        branch = conv2.backward(branch, sink: sink)!
        branch = bn1.backward(relu1.backward(branch, sink: sink)!, sink: sink)!
        let gxBranch = conv1.backward(branch, sink: sink)
        let gxShortcut = downsample.map { $0.conv.backward($0.bn.backward(g, sink: sink)!, sink: sink) } ?? g
        guard plan.inputGradient, var gx = gxBranch, let gxShortcut else { return nil }
        gx.add(gxShortcut)
        return gx
    }
}
