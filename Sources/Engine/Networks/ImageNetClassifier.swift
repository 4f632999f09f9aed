/// EfficientNet-Lite0 with its ImageNet head, as the pretrained file holds it:
/// the backbone at output stride 32 → global average pool → `_fc` (Linear
/// 1280 → 1000, stored [1000, 1280] and run as a 1×1 convolution) → softmax.
/// Used by `eps-dist classify` to prove the weights and the preprocessing
/// right before the head is replaced for CAM training.
public final class ImageNetClassifier {
    public let store = ParameterStore()
    let backbone: Backbone
    let fc: Conv2dLayer

    public init(widthDivisor: Int = 1) {
        backbone = Backbones.efficientnetLite0(store: store, widthDivisor: widthDivisor, outputStride: 32)
        fc = Conv2dLayer(
            "_fc", store: store, cin: backbone.featureChannels, cout: EfficientNetLite0.imageNetClasses, kernel: 1,
            bias: true, trainable: false)
    }

    /// Loads every tensor of the file by name, strictly (all present, none unknown).
    public func load(_ tensors: [String: Tensor], path: String) throws {
        try WeightLoading.load(tensors, into: store, path: path)
    }

    /// images [n, 3, H, W], normalised → class probabilities [n, 1000].
    public func probabilities(_ images: Tensor) -> Tensor {
        let pooled = GlobalAveragePool.forward(backbone.layers.forward(images, .inference))
        return ChannelSoftmax.forward(fc.forward(pooled, .inference))
    }
}
