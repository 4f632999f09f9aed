/// The pre-activation residual blocks of the reference ResNet-38
/// (network/resnet38d.py), names as its state_dict.
///
/// ResBlock(in, mid, out, stride, firstDilation, dilation):
///   t = relu(bn_branch2a(x));  sc = same shape ? x : conv_branch1(t) (1×1, stride)
///   u = conv_branch2b1(relu(bn_branch2b1(conv_branch2a(t))));  y = sc + u
/// conv_branch2a: 3×3, stride, dilation firstDilation; conv_branch2b1: 3×3, dilation.
public final class ResBlock: Layer {
    public let name: String
    let bn2a: BatchNormLayer, relu2a: ReLULayer
    let conv2a: Conv2dLayer, bn2b1: BatchNormLayer, relu2b1: ReLULayer, conv2b1: Conv2dLayer
    let conv1: Conv2dLayer?
    public private(set) var plan = BackwardPlan.skipped

    public init(
        _ name: String, store: ParameterStore, in cin: Int, mid: Int, out cout: Int, stride: Int = 1,
        firstDilation: Int? = nil, dilation: Int = 1
    ) {
        let d1 = firstDilation ?? dilation
        self.name = name
        bn2a = BatchNormLayer("\(name).bn_branch2a", store: store, channels: cin)
        relu2a = ReLULayer("\(name).relu_branch2a")
        relu2b1 = ReLULayer("\(name).relu_branch2b1")
        conv2a = Conv2dLayer(
            "\(name).conv_branch2a", store: store, cin: cin, cout: mid, kernel: 3, stride: stride, pad: d1, dilation: d1
        )
        bn2b1 = BatchNormLayer("\(name).bn_branch2b1", store: store, channels: mid)
        conv2b1 = Conv2dLayer(
            "\(name).conv_branch2b1", store: store, cin: mid, cout: cout, kernel: 3, pad: dilation, dilation: dilation)
        conv1 =
            (cin == cout && stride == 1)
            ? nil
            : Conv2dLayer("\(name).conv_branch1", store: store, cin: cin, cout: cout, kernel: 1, stride: stride)
        sublayers = [bn2a, relu2a, conv2a, bn2b1, relu2b1, conv2b1] + (conv1.map { [$0] } ?? [])
        planBackward()
    }

    public let sublayers: [Layer]
    public var hasTrainedParameters: Bool { sublayers.contains { $0.hasTrainedParameters } }

    /// t = relu(bn2a(x)) feeds only convolutions: without an input gradient
    /// (and with bn2a frozen), bn2a and relu2a are not reached and keep nothing.
    public func planBackward(reached: Bool, inputGradient: Bool) {
        for layer in [conv2b1, relu2b1, bn2b1] as [Layer] { layer.planBackward(reached: reached, inputGradient: true) }
        // t's gradient serves the block's input gradient, or a trained bn2a.
        let tGradient = inputGradient || bn2a.hasTrainedParameters
        conv2a.planBackward(reached: reached, inputGradient: tGradient)
        conv1?.planBackward(reached: reached, inputGradient: tGradient)
        relu2a.planBackward(reached: reached && tGradient, inputGradient: true)
        bn2a.planBackward(reached: reached && tGradient, inputGradient: inputGradient)
        plan = BackwardPlan(reached: reached, inputGradient: inputGradient, parameterGradients: hasTrainedParameters)
    }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let t = relu2a.forward(bn2a.forward(x, context), context)
        var y = conv2b1.forward(relu2b1.forward(bn2b1.forward(conv2a.forward(t, context), context), context), context)
        let shortcut = conv1?.forward(t, context) ?? x
        y.add(shortcut)
        return y
    }

    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        let gu = bn2b1.backward(relu2b1.backward(conv2b1.backward(gradY, sink: sink)!, sink: sink)!, sink: sink)!
        let gtBranch = conv2a.backward(gu, sink: sink)
        let gtShortcut = conv1?.backward(gradY, sink: sink)
        guard bn2a.plan.reached, var gt = gtBranch else { return nil }
        if let gtShortcut { gt.add(gtShortcut) }
        guard var gx = bn2a.backward(relu2a.backward(gt, sink: sink)!, sink: sink) else { return nil }
        if conv1 == nil { gx.add(gradY) }
        return gx
    }
}

/// ResBlock_bot(in, out, stride, dilation, dropout) — always projects:
///   t = relu(bn_branch2a(x));  sc = conv_branch1(t) (1×1, stride)
///   u = conv_branch2a(t) (1×1, stride, out/4) → bn_branch2b1 → relu → dropout
///   u = conv_branch2b1(u) (3×3, dilation, out/2) → bn_branch2b2 → relu → dropout
///   u = conv_branch2b2(u) (1×1, out);  y = sc + u
public final class ResBlockBottleneck: Layer {
    public let name: String
    let bn2a: BatchNormLayer, relu2a: ReLULayer
    let conv1, conv2a, conv2b1, conv2b2: Conv2dLayer
    let bn2b1, bn2b2: BatchNormLayer
    let relu2b1, relu2b2: ReLULayer
    let drop2b1, drop2b2: Dropout2dLayer
    public private(set) var plan = BackwardPlan.skipped

    public init(
        _ name: String, store: ParameterStore, in cin: Int, out cout: Int, stride: Int = 1,
        dilation: Int = 1, dropout: Float = 0, salt: UInt64
    ) {
        self.name = name
        bn2a = BatchNormLayer("\(name).bn_branch2a", store: store, channels: cin)
        relu2a = ReLULayer("\(name).relu_branch2a")
        relu2b1 = ReLULayer("\(name).relu_branch2b1")
        relu2b2 = ReLULayer("\(name).relu_branch2b2")
        conv2a = Conv2dLayer("\(name).conv_branch2a", store: store, cin: cin, cout: cout / 4, kernel: 1, stride: stride)
        bn2b1 = BatchNormLayer("\(name).bn_branch2b1", store: store, channels: cout / 4)
        conv2b1 = Conv2dLayer(
            "\(name).conv_branch2b1", store: store, cin: cout / 4, cout: cout / 2, kernel: 3,
            pad: dilation, dilation: dilation)
        bn2b2 = BatchNormLayer("\(name).bn_branch2b2", store: store, channels: cout / 2)
        conv2b2 = Conv2dLayer("\(name).conv_branch2b2", store: store, cin: cout / 2, cout: cout, kernel: 1)
        conv1 = Conv2dLayer("\(name).conv_branch1", store: store, cin: cin, cout: cout, kernel: 1, stride: stride)
        drop2b1 = Dropout2dLayer("\(name).dropout_branch2b1", p: dropout, salt: salt &* 2)
        drop2b2 = Dropout2dLayer("\(name).dropout_branch2b2", p: dropout, salt: salt &* 2 &+ 1)
        sublayers = [bn2a, relu2a, conv2a, bn2b1, relu2b1, drop2b1, conv2b1, bn2b2, relu2b2, drop2b2, conv2b2, conv1]
        planBackward()
    }

    public let sublayers: [Layer]
    public var hasTrainedParameters: Bool { sublayers.contains { $0.hasTrainedParameters } }

    /// As ResBlock's: bn2a and relu2a are reached only for an input gradient or a trained bn2a.
    public func planBackward(reached: Bool, inputGradient: Bool) {
        for layer in [conv2b2, drop2b2, relu2b2, bn2b2, conv2b1, drop2b1, relu2b1, bn2b1] as [Layer] {
            layer.planBackward(reached: reached, inputGradient: true)
        }
        let tGradient = inputGradient || bn2a.hasTrainedParameters
        conv2a.planBackward(reached: reached, inputGradient: tGradient)
        conv1.planBackward(reached: reached, inputGradient: tGradient)
        relu2a.planBackward(reached: reached && tGradient, inputGradient: true)
        bn2a.planBackward(reached: reached && tGradient, inputGradient: inputGradient)
        plan = BackwardPlan(reached: reached, inputGradient: inputGradient, parameterGradients: hasTrainedParameters)
    }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let t = relu2a.forward(bn2a.forward(x, context), context)
        var u = drop2b1.forward(relu2b1.forward(bn2b1.forward(conv2a.forward(t, context), context), context), context)
        u = drop2b2.forward(relu2b2.forward(bn2b2.forward(conv2b1.forward(u, context), context), context), context)
        var y = conv2b2.forward(u, context)
        let shortcut = conv1.forward(t, context)
        y.add(shortcut)
        return y
    }

    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        var g = conv2b2.backward(gradY, sink: sink)!
        g = bn2b2.backward(relu2b2.backward(drop2b2.backward(g, sink: sink)!, sink: sink)!, sink: sink)!
        g = conv2b1.backward(g, sink: sink)!
        g = bn2b1.backward(relu2b1.backward(drop2b1.backward(g, sink: sink)!, sink: sink)!, sink: sink)!
        let gtBranch = conv2a.backward(g, sink: sink)
        let gtShortcut = conv1.backward(gradY, sink: sink)
        guard bn2a.plan.reached, var gt = gtBranch, let gtShortcut else { return nil }
        gt.add(gtShortcut)
        return bn2a.backward(relu2a.backward(gt, sink: sink)!, sink: sink)
    }
}
