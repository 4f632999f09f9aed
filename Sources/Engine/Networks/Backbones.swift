/// Backbone networks: each maps an image batch [n, 3, H, W] to features
/// [n, featureChannels, h, w] at output stride 8 (tiny, small, resnet38) or
/// 16 (resnet50, efficientnet-lite0).
public enum Architecture: String, CaseIterable, Sendable {
    case tiny, small, resnet38, resnet50
    case efficientnetLite0 = "efficientnet-lite0"

    /// Trained from random weights (no pretrained file exists): its BatchNorm
    /// layers, if any, learn with batch statistics.
    public var trainsFromScratch: Bool { self == .tiny || self == .small }
}

public struct Backbone {
    public let layers: Sequential
    public let featureChannels: Int
}

public enum Backbones {
    public static func make(_ arch: Architecture, store: ParameterStore, widthDivisor: Int = 1) -> Backbone {
        switch arch {
        case .tiny: return tiny(store: store)
        case .small: return small(store: store, widthDivisor: widthDivisor)
        case .resnet38: return resnet38(store: store, widthDivisor: widthDivisor)
        case .resnet50: return resnet50(store: store, widthDivisor: widthDivisor)
        case .efficientnetLite0:
            return efficientnetLite0(
                store: store, widthDivisor: widthDivisor, outputStride: EfficientNetLite0.camOutputStride)
        }
    }

    /// A small fast net for tests and the demo: five 3×3 convs with bias and
    /// ReLU, three of stride 2 and a dilated one (output stride 8, as ResNet-38).
    public static func tiny(store: ParameterStore) -> Backbone {
        let spec: [(String, Int, Int, Int, Int)] = [  // name, cin, cout, stride, dilation
            ("conv1", 3, 32, 1, 1), ("conv2", 32, 48, 2, 1), ("conv3", 48, 64, 2, 1),
            ("conv4", 64, 96, 2, 1), ("conv5", 96, 128, 1, 2),
        ]
        var layers: [Layer] = []
        for (name, cin, cout, stride, dilation) in spec {
            layers.append(
                Conv2dLayer(
                    name, store: store, cin: cin, cout: cout, kernel: 3, stride: stride,
                    pad: dilation, dilation: dilation, bias: true))
            layers.append(ReLULayer("\(name).relu"))
        }
        return Backbone(layers: planned(Sequential(layers, name: "tiny")), featureChannels: 128)
    }

    /// The from-scratch network of the demo: nine 3×3 conv (no bias) →
    /// BatchNorm (trained, batch statistics, synchronised over ranks) → ReLU
    /// blocks, widths 16 → 128, three of stride 2 and the last two dilated
    /// (output stride 8, as ResNet-38). State-dict names convN.weight, bnN.*.
    /// `widthDivisor` narrows every width (tests only).
    public static func small(store: ParameterStore, widthDivisor d: Int = 1) -> Backbone {
        func w(_ c: Int) -> Int { c == 3 ? 3 : max(c / d, 1) }
        let spec: [(cin: Int, cout: Int, stride: Int, dilation: Int)] = [
            (3, 16, 1, 1), (16, 32, 2, 1), (32, 32, 1, 1), (32, 64, 2, 1), (64, 64, 1, 1),
            (64, 128, 2, 1), (128, 128, 1, 1), (128, 128, 1, 2), (128, 128, 1, 2),
        ]
        var layers: [Layer] = []
        for (i, s) in spec.enumerated() {
            layers.append(
                Conv2dLayer(
                    "conv\(i + 1)", store: store, cin: w(s.cin), cout: w(s.cout), kernel: 3, stride: s.stride,
                    pad: s.dilation, dilation: s.dilation))
            layers.append(
                BatchNormLayer(
                    "bn\(i + 1)", store: store, channels: w(s.cout), useBatchStatistics: true, trainable: true))
            layers.append(ReLULayer("relu\(i + 1)"))
        }
        return Backbone(layers: planned(Sequential(layers, name: "small")), featureChannels: w(128))
    }

    /// The reference ResNet-38 (docs/REFERENCE.md, section 2.1) with the state_dict names
    /// of network/resnet38d.Net. EPS freezes conv1a, the b2 stage and every
    /// BatchNorm, so the backward pass stops at b3's input. `widthDivisor`
    /// narrows every width (tests only; 1 = the real network).
    public static func resnet38(store: ParameterStore, widthDivisor d: Int = 1) -> Backbone {
        func w(_ c: Int) -> Int { max(c / d, 1) }
        var layers: [Layer] = [
            Conv2dLayer("conv1a", store: store, cin: 3, cout: w(64), kernel: 3, pad: 1, trainable: false)
        ]
        func block(
            _ name: String, _ cin: Int, _ mid: Int, _ cout: Int, stride: Int = 1, first: Int? = nil, dilation: Int = 1
        ) {
            layers.append(
                ResBlock(
                    name, store: store, in: w(cin), mid: w(mid), out: w(cout), stride: stride,
                    firstDilation: first, dilation: dilation))
        }
        block("b2", 64, 128, 128, stride: 2)
        block("b2_1", 128, 128, 128)
        block("b2_2", 128, 128, 128)
        block("b3", 128, 256, 256, stride: 2)
        block("b3_1", 256, 256, 256)
        block("b3_2", 256, 256, 256)
        block("b4", 256, 512, 512, stride: 2)
        for i in 1...5 { block("b4_\(i)", 512, 512, 512) }
        block("b5", 512, 512, 1024, first: 1, dilation: 2)
        block("b5_1", 1024, 512, 1024, dilation: 2)
        block("b5_2", 1024, 512, 1024, dilation: 2)
        layers.append(
            ResBlockBottleneck(
                "b6", store: store, in: w(1024), out: w(2048), dilation: 4, dropout: 0.3,
                salt: DropoutSalt.resnet38B6))
        layers.append(
            ResBlockBottleneck(
                "b7", store: store, in: w(2048), out: w(4096), dilation: 4, dropout: 0.5,
                salt: DropoutSalt.resnet38B7))
        layers.append(BatchNormLayer("bn7", store: store, channels: w(4096)))
        layers.append(ReLULayer("relu7"))
        for entry in store.entries where entry.name.hasPrefix("b2.") || entry.name.hasPrefix("b2_") {
            store.setTrainable(entry.name, false)
        }
        return Backbone(layers: planned(Sequential(layers, name: "resnet38")), featureChannels: w(4096))
    }

    /// torchvision's ResNet-50 with its state_dict names and the last stage at
    /// stride 1 (replace_stride_with_dilation [false, false, true]: layer4's
    /// first block keeps dilation 1, the others use 2), output stride 16 —
    /// the lighter backbone. Frozen like EPS freezes ResNet-38's stem: conv1,
    /// layer1 and every BatchNorm; backward stops at layer2's input.
    public static func resnet50(store: ParameterStore, widthDivisor d: Int = 1) -> Backbone {
        func w(_ c: Int) -> Int { max(c / d, 1) }
        var layers: [Layer] = [
            Conv2dLayer("conv1", store: store, cin: 3, cout: w(64), kernel: 7, stride: 2, pad: 3, trainable: false),
            BatchNormLayer("bn1", store: store, channels: w(64)),
            ReLULayer("relu"),
            MaxPoolLayer("maxpool", kernel: 3, stride: 2, pad: 1),
        ]
        var inplanes = w(64)
        for (stage, (planes, blocks, stride)) in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 1)].enumerated() {
            let dilated = stage == 3
            for b in 0..<blocks {
                layers.append(
                    Bottleneck(
                        "layer\(stage + 1).\(b)", store: store, in: inplanes, planes: w(planes),
                        stride: b == 0 ? stride : 1, dilation: dilated && b > 0 ? 2 : 1))
                inplanes = w(planes) * 4
            }
        }
        for entry in store.entries where entry.name.hasPrefix("layer1.") { store.setTrainable(entry.name, false) }
        return Backbone(layers: planned(Sequential(layers, name: "resnet50")), featureChannels: inplanes)
    }

    /// The backbone's gradient flow, fixed once its frozen parts are known:
    /// nothing uses the image gradient, so backward stops at the first
    /// trained layer and what lies before it keeps nothing.
    static func planned(_ net: Sequential) -> Sequential {
        net.planBackward(reached: true, inputGradient: false)
        return net
    }
}

extension Architecture {
    /// Training memory per input pixel of one image of the local batch, at
    /// full width: activations kept for backward plus the convolution
    /// workspace, measured with `eps-dist bench` (pool high-water mark:
    /// resnet38 3.4 KB/px at crop 224, 4.3 KB/px at 448; resnet50 0.9; tiny
    /// 0.6), rounded up. Narrower networks (width divisor d) need about 1/d.
    public var trainingBytesPerPixel: Double {
        switch self {
        case .tiny: return 1_000
        case .small: return 1_500
        case .resnet38: return 5_000
        case .resnet50: return 1_200
        case .efficientnetLite0: return 1_500
        }
    }

    /// Inference memory per input pixel at the largest scale, at full width:
    /// measured 4.3 GB peak for a VOC-sized image at scale 2 (0.75 million
    /// pixels) with resnet38, i.e. 5.7 KB/px, rounded up; the others scaled
    /// like their training figures.
    public var inferenceBytesPerPixel: Double {
        switch self {
        case .tiny: return 1_200
        case .small: return 1_500
        case .resnet38: return 6_000
        case .resnet50, .efficientnetLite0: return 1_500
        }
    }
}
