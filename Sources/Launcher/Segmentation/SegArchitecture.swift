import Data
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

    /// The ResNets take deeplab-pytorch's caffe input (BGR minus the mean, no
    /// scaling), which their converted caffe weights expect. The network
    /// trained from scratch also divides by ImageNet's standard deviations
    /// (×255, in BGR order): with inputs of ±120 its first convolution's
    /// gradients are ~60× too large and SGD diverges.
    public var inputNormalization: BGRNormalization {
        trainsFromScratch
            ? BGRNormalization(mean: BGRNormalization.caffe.mean, std: [57.375, 57.12, 58.395]) : .caffe
    }
}
