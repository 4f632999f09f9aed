/// The shape of a DeepLab-v2 network (deeplab-pytorch's `DeepLabV2`): a
/// caffe-style ResNet with output stride 8 and the ASPP head.
/// layer1 = conv1 7×7/2 (+BN+ReLU) → max pool 3×3/2 ceil mode (/4);
/// layer2 (stride 1), layer3 (stride 2 in the 1×1), layer4 (dilation 2),
/// layer5 (dilation 4), each `blocks[i]` bottlenecks; ASPP rates 6/12/18/24.
public struct DeepLabV2Spec: Sendable, Equatable {
    /// "resnet101", "resnet50", "tiny": the network is `deeplabv2-<name>`.
    public var name: String
    public var blocks: [Int]
    public var stem: Int
    /// Output channels of layer2…layer5.
    public var outs: [Int]
    /// Divides every width (max(c/d, 1)): narrow copies for tests.
    public var widthDivisor: Int

    public static let resnet101 = DeepLabV2Spec(
        name: "resnet101", blocks: [3, 4, 23, 3], stem: 64, outs: [256, 512, 1024, 2048])
    public static let resnet50 = DeepLabV2Spec(
        name: "resnet50", blocks: [3, 4, 6, 3], stem: 64, outs: [256, 512, 1024, 2048])
    /// One bottleneck per layer, an eighth of the widths: trains from scratch in minutes on 2 cores.
    public static let tiny = DeepLabV2Spec(name: "tiny", blocks: [1, 1, 1, 1], stem: 16, outs: [64, 128, 256, 512])

    public init(name: String, blocks: [Int], stem: Int, outs: [Int], widthDivisor: Int = 1) {
        self.name = name
        self.blocks = blocks
        self.stem = stem
        self.outs = outs
        self.widthDivisor = widthDivisor
    }

    public func narrowed(by d: Int) -> DeepLabV2Spec {
        DeepLabV2Spec(name: name, blocks: blocks, stem: stem, outs: outs, widthDivisor: d)
    }

    func width(_ c: Int) -> Int { max(c / widthDivisor, 1) }
    public var featureChannels: Int { width(outs[3]) }
    public static let asppRates = [6, 12, 18, 24]

    /// The network [n, 3, H, W] → logits [n, classes, h, w] (h = ⌈H/8⌉ for
    /// most sizes), its layers named `<prefix>.layer1.conv1`, …, `<prefix>.aspp`.
    public func makeNetwork(
        store: ParameterStore, classes: Int, batchNorm: DeepLabBatchNorm, prefix: String = "base"
    ) -> Sequential {
        var layers: [Layer] = [
            ConvBNReLU(
                "\(prefix).layer1.conv1", store: store, cin: 3, cout: width(stem), kernel: 7, stride: 2, pad: 3,
                batchNorm: batchNorm),
            MaxPoolLayer("\(prefix).layer1.pool", kernel: 3, stride: 2, pad: 1, ceilMode: true),
        ]
        let strides = [1, 2, 1, 1]
        let dilations = [1, 1, 2, 4]
        var cin = width(stem)
        for (i, count) in blocks.enumerated() {
            let cout = width(outs[i])
            for b in 0..<count {
                layers.append(
                    CaffeBottleneck(
                        "\(prefix).layer\(i + 2).block\(b + 1)", store: store, cin: b == 0 ? cin : cout, cout: cout,
                        stride: b == 0 ? strides[i] : 1, dilation: dilations[i], downsample: b == 0,
                        batchNorm: batchNorm))
            }
            cin = cout
        }
        layers.append(ASPPLayer("\(prefix).aspp", store: store, cin: cin, classes: classes, rates: Self.asppRates))
        let network = Sequential(layers, name: prefix)
        network.planBackward(reached: true, inputGradient: false)
        return network
    }
}
