/// Dropout2d as a layer: active only in training, one mask per sample and
/// channel drawn from the sample's key and the layer's salt.
public final class Dropout2dLayer: ParameterFreeLayer {
    public let name: String
    public let p: Float
    /// Distinguishes the draws of two dropout layers for the same sample
    /// (values in `DropoutSalt`: they decide reproducibility).
    public let salt: UInt64
    public var plan = BackwardPlan.skipped
    /// The mask is reused from step to step (no allocation per step).
    private var mask: [Float] = []
    private var active = false

    public init(_ name: String = "dropout", p: Float, salt: UInt64) {
        self.name = name
        self.p = p
        self.salt = salt
        planBackward()
    }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        active = context.training && p > 0
        guard active else { return x }
        precondition(context.sampleKeys.count == x.shape[0], "dropout needs one key per sample")
        Dropout2d.fillMask(&mask, sampleKeys: context.sampleKeys, channels: x.shape[1], p: p, salt: salt)
        return Dropout2d.apply(x, mask: mask)
    }

    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        active ? Dropout2d.apply(gradY, mask: mask) : gradY
    }
}

/// The salts of the networks' dropout layers. A salt picks the random stream
/// of a layer's masks, so changing one changes every training run's result.
public enum DropoutSalt {
    /// ResNet-38's bottleneck blocks b6 and b7 (each uses 2·salt and 2·salt+1 for its two dropouts).
    public static let resnet38B6: UInt64 = 6
    public static let resnet38B7: UInt64 = 7
    /// The CAM baseline head's dropout7.
    public static let camHead: UInt64 = 8
}
