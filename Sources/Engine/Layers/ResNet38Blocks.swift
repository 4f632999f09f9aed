/// The pre-activation residual blocks of the reference ResNet-38
/// (network/resnet38d.py), names as its state_dict.
///
/// ResBlock(in, mid, out, stride, firstDilation, dilation):
///   t = relu(bn_branch2a(x));  sc = same shape ? x : conv_branch1(t) (1×1, stride)
///   u = conv_branch2b1(relu(bn_branch2b1(conv_branch2a(t))));  y = sc + u
/// conv_branch2a: 3×3, stride, dilation firstDilation; conv_branch2b1: 3×3, dilation.
public final class ResBlock: Layer {
    let bn2a: BatchNormLayer, relu2a = ReLULayer()
    let conv2a: Conv2dLayer, bn2b1: BatchNormLayer, relu2b1 = ReLULayer(), conv2b1: Conv2dLayer
    let conv1: Conv2dLayer?
    public var needsInputGradient = true {
        didSet { conv2a.needsInputGradient = needsInputGradient; conv1?.needsInputGradient = needsInputGradient }
    }

    public init(_ name: String, store: ParameterStore, in cin: Int, mid: Int, out cout: Int, stride: Int = 1,
                firstDilation: Int? = nil, dilation: Int = 1) {
        let d1 = firstDilation ?? dilation
        bn2a = BatchNormLayer("\(name).bn_branch2a", store: store, channels: cin)
        conv2a = Conv2dLayer("\(name).conv_branch2a", store: store, cin: cin, cout: mid, kernel: 3, stride: stride, pad: d1, dilation: d1)
        bn2b1 = BatchNormLayer("\(name).bn_branch2b1", store: store, channels: mid)
        conv2b1 = Conv2dLayer("\(name).conv_branch2b1", store: store, cin: mid, cout: cout, kernel: 3, pad: dilation, dilation: dilation)
        conv1 = (cin == cout && stride == 1) ? nil
            : Conv2dLayer("\(name).conv_branch1", store: store, cin: cin, cout: cout, kernel: 1, stride: stride)
        parts = [bn2a, conv2a, bn2b1, conv2b1] + (conv1.map { [$0] } ?? [])
    }

    let parts: [Layer]
    public var isFrozen: Bool { parts.allSatisfy(\.isFrozen) }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        // t feeds only convolutions when no input gradient is asked for: bn2a and relu2a keep nothing then.
        let entry = needsInputGradient ? context : context.withoutBackward
        let t = relu2a.forward(bn2a.forward(x, entry), entry)
        var y = conv2b1.forward(relu2b1.forward(bn2b1.forward(conv2a.forward(t, context), context), context), context)
        let shortcut = conv1?.forward(t, context) ?? x
        y.add(shortcut)
        return y
    }

    public func backward(_ gradY: Tensor) -> Tensor? {
        let gu = bn2b1.backward(relu2b1.backward(conv2b1.backward(gradY)!)!)!
        let gtBranch = conv2a.backward(gu)
        let gtShortcut = conv1?.backward(gradY)
        guard needsInputGradient, var gt = gtBranch else { return nil }
        if let gtShortcut { gt.add(gtShortcut) }
        var gx = bn2a.backward(relu2a.backward(gt)!)!
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
    let bn2a: BatchNormLayer, relu2a = ReLULayer()
    let conv1, conv2a, conv2b1, conv2b2: Conv2dLayer
    let bn2b1, bn2b2: BatchNormLayer
    let relu2b1 = ReLULayer(), relu2b2 = ReLULayer()
    let drop2b1, drop2b2: Dropout2dLayer
    public var needsInputGradient = true {
        didSet { conv2a.needsInputGradient = needsInputGradient; conv1.needsInputGradient = needsInputGradient }
    }

    public init(_ name: String, store: ParameterStore, in cin: Int, out cout: Int, stride: Int = 1,
                dilation: Int = 1, dropout: Float = 0, salt: UInt64) {
        bn2a = BatchNormLayer("\(name).bn_branch2a", store: store, channels: cin)
        conv2a = Conv2dLayer("\(name).conv_branch2a", store: store, cin: cin, cout: cout / 4, kernel: 1, stride: stride)
        bn2b1 = BatchNormLayer("\(name).bn_branch2b1", store: store, channels: cout / 4)
        conv2b1 = Conv2dLayer("\(name).conv_branch2b1", store: store, cin: cout / 4, cout: cout / 2, kernel: 3,
                              pad: dilation, dilation: dilation)
        bn2b2 = BatchNormLayer("\(name).bn_branch2b2", store: store, channels: cout / 2)
        conv2b2 = Conv2dLayer("\(name).conv_branch2b2", store: store, cin: cout / 2, cout: cout, kernel: 1)
        conv1 = Conv2dLayer("\(name).conv_branch1", store: store, cin: cin, cout: cout, kernel: 1, stride: stride)
        drop2b1 = Dropout2dLayer(p: dropout, salt: salt &* 2)
        drop2b2 = Dropout2dLayer(p: dropout, salt: salt &* 2 &+ 1)
        parts = [bn2a, conv2a, bn2b1, conv2b1, bn2b2, conv2b2, conv1]
    }

    let parts: [Layer]
    public var isFrozen: Bool { parts.allSatisfy(\.isFrozen) }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        // t feeds only convolutions when no input gradient is asked for: bn2a and relu2a keep nothing then.
        let entry = needsInputGradient ? context : context.withoutBackward
        let t = relu2a.forward(bn2a.forward(x, entry), entry)
        var u = drop2b1.forward(relu2b1.forward(bn2b1.forward(conv2a.forward(t, context), context), context), context)
        u = drop2b2.forward(relu2b2.forward(bn2b2.forward(conv2b1.forward(u, context), context), context), context)
        var y = conv2b2.forward(u, context)
        let shortcut = conv1.forward(t, context)
        y.add(shortcut)
        return y
    }

    public func backward(_ gradY: Tensor) -> Tensor? {
        var g = conv2b2.backward(gradY)!
        g = bn2b2.backward(relu2b2.backward(drop2b2.backward(g)!)!)!
        g = conv2b1.backward(g)!
        g = bn2b1.backward(relu2b1.backward(drop2b1.backward(g)!)!)!
        let gtBranch = conv2a.backward(g)
        let gtShortcut = conv1.backward(gradY)
        guard needsInputGradient, var gt = gtBranch, let gtShortcut else { return nil }
        gt.add(gtShortcut)
        return bn2a.backward(relu2a.backward(gt)!)
    }
}
