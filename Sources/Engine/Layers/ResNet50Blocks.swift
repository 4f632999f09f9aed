/// torchvision's ResNet-50 bottleneck (v1.5, stride on the 3×3 conv), names
/// as its state_dict: conv1 (1×1) → bn1 → relu → conv2 (3×3, stride,
/// dilation) → bn2 → relu → conv3 (1×1, ×4) → bn3; shortcut = downsample.0
/// (1×1 conv, stride) → downsample.1 (BN) when the shape changes, else x;
/// y = relu(branch + shortcut).
public final class Bottleneck: Layer {
    let conv1, conv2, conv3: Conv2dLayer
    let bn1, bn2, bn3: BatchNormLayer
    let relu1 = ReLULayer(), relu2 = ReLULayer(), reluOut = ReLULayer()
    let downsample: (conv: Conv2dLayer, bn: BatchNormLayer)?
    public var needsInputGradient = true {
        didSet { conv1.needsInputGradient = needsInputGradient; downsample?.conv.needsInputGradient = needsInputGradient }
    }

    public init(_ name: String, store: ParameterStore, in cin: Int, planes: Int, stride: Int = 1, dilation: Int = 1) {
        let cout = planes * 4
        conv1 = Conv2dLayer("\(name).conv1", store: store, cin: cin, cout: planes, kernel: 1)
        bn1 = BatchNormLayer("\(name).bn1", store: store, channels: planes)
        conv2 = Conv2dLayer("\(name).conv2", store: store, cin: planes, cout: planes, kernel: 3, stride: stride, pad: dilation, dilation: dilation)
        bn2 = BatchNormLayer("\(name).bn2", store: store, channels: planes)
        conv3 = Conv2dLayer("\(name).conv3", store: store, cin: planes, cout: cout, kernel: 1)
        bn3 = BatchNormLayer("\(name).bn3", store: store, channels: cout)
        downsample = (stride != 1 || cin != cout)
            ? (Conv2dLayer("\(name).downsample.0", store: store, cin: cin, cout: cout, kernel: 1, stride: stride),
               BatchNormLayer("\(name).downsample.1", store: store, channels: cout))
            : nil
    }

    public var isFrozen: Bool { conv1.isFrozen && conv2.isFrozen && conv3.isFrozen && (downsample?.conv.isFrozen ?? true) }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let t = relu1.forward(bn1.forward(conv1.forward(x, context), context), context)
        let u = relu2.forward(bn2.forward(conv2.forward(t, context), context), context)
        var y = bn3.forward(conv3.forward(u, context), context)
        let shortcut = downsample.map { $0.bn.forward($0.conv.forward(x, context), context) } ?? x
        y.add(shortcut)
        return reluOut.forward(y, context)
    }

    public func backward(_ gradY: Tensor) -> Tensor? {
        let g = reluOut.backward(gradY)!
        var branch = bn3.backward(g)!
        branch = conv3.backward(branch)!
        branch = bn2.backward(relu2.backward(branch)!)!
        branch = conv2.backward(branch)!
        branch = bn1.backward(relu1.backward(branch)!)!
        let gxBranch = conv1.backward(branch)
        let gxShortcut = downsample.map { $0.conv.backward($0.bn.backward(g)!) } ?? g
        guard needsInputGradient, var gx = gxBranch, let gxShortcut else { return nil }
        gx.add(gxShortcut)
        return gx
    }
}
