import ArgumentParser
import Engine

/// What `eps-dist bench --arch` times: an EPS/CAM classifier backbone
/// (`resnet38`, …: the stage-1 step) or a DeepLab-v2 segmentation network
/// (`deeplabv2-resnet101`, …: the stage-2 step of `seg-train`, frozen
/// BatchNorm, multi-scale inputs and four cross-entropy terms).
enum BenchNetwork: Equatable {
    case classifier(Architecture)
    case deepLabV2(name: String, spec: DeepLabV2Spec)

    /// The DeepLab-v2 variants by their `--arch` names.
    static let deepLabVariants: [(name: String, spec: DeepLabV2Spec)] = [
        ("deeplabv2-resnet101", .resnet101), ("deeplabv2-resnet50", .resnet50), ("deeplabv2-tiny", .tiny),
    ]

    var name: String {
        switch self {
        case .classifier(let arch): arch.rawValue
        case .deepLabV2(let name, _): name
        }
    }

    /// Training memory per input pixel of one image at full width.
    var trainingBytesPerPixel: Double {
        switch self {
        case .classifier(let arch): arch.trainingBytesPerPixel
        case .deepLabV2(_, let spec): spec.trainingBytesPerPixel
        }
    }
}

extension BenchNetwork: ExpressibleByArgument {
    init?(argument: String) {
        if let arch = Architecture(rawValue: argument) {
            self = .classifier(arch)
        } else if let variant = Self.deepLabVariants.first(where: { $0.name == argument }) {
            self = .deepLabV2(name: variant.name, spec: variant.spec)
        } else {
            return nil
        }
    }

    var defaultValueDescription: String { name }

    static var allValueStrings: [String] { Architecture.allCases.map(\.rawValue) + deepLabVariants.map(\.name) }

    /// "a, b or c".
    static var helpList: String { allValueStrings.dropLast().joined(separator: ", ") + " or " + allValueStrings.last! }
}
