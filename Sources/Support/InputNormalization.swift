/// The per-channel normalisation a backbone was trained with:
/// x = (value / 255 − mean[c]) / std[c] for an 8-bit RGB value.
/// It belongs to the architecture (`Architecture.inputNormalization`) and is
/// applied where images become tensors (EPSAugmentation.normalizedPlanes).
public struct InputNormalization: Sendable, Equatable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// torchvision's ImageNet statistics (the ResNets of EPS).
    public static let imagenet = InputNormalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    /// TensorFlow EfficientNet-Lite's (value − 127) / 128 (MEAN_RGB 127, STDDEV_RGB 128 of
    /// efficientnet/lite/efficientnet_lite_builder.py), written on the value / 255 scale.
    public static let efficientNetLite = InputNormalization(
        mean: [127.0 / 255, 127.0 / 255, 127.0 / 255], std: [128.0 / 255, 128.0 / 255, 128.0 / 255])
}
