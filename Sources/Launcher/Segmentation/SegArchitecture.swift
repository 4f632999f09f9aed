import Engine

/// The segmentation networks of `seg-train` / `seg-infer`.
public enum SegArchitecture: String, CaseIterable, Codable, Sendable {
    case deeplabv2Resnet101 = "deeplabv2-resnet101"
    case deeplabv2Resnet50 = "deeplabv2-resnet50"
    /// One bottleneck per layer at an eighth of the widths, trained from scratch (tests, demo).
    case deeplabv2Tiny = "deeplabv2-tiny"

    public var spec: DeepLabV2Spec {
        switch self {
        case .deeplabv2Resnet101: .resnet101
        case .deeplabv2Resnet50: .resnet50
        case .deeplabv2Tiny: .tiny
        }
    }

    /// No pretrained weights exist: BatchNorm learns (synchronised over ranks)
    /// instead of staying frozen as deeplab-pytorch's fine-tuning keeps it.
    public var trainsFromScratch: Bool { self == .deeplabv2Tiny }
    public var batchNorm: DeepLabBatchNorm { trainsFromScratch ? .trainable : .frozen }
}
