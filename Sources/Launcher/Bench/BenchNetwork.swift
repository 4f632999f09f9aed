import ArgumentParser
import Engine

/// What `eps-dist bench --arch` times: an EPS/CAM classifier backbone
/// (`resnet38`, …: the stage-1 step) or a segmentation network of
/// `seg-train` (`deeplabv2-resnet101`, …: the stage-2 step, BN frozen or
/// trained as seg-train runs it, multi-scale inputs, four cross-entropy terms).
enum BenchNetwork: Equatable {
    case classifier(Architecture)
    case segmentation(SegArchitecture)

    var name: String {
        switch self {
        case .classifier(let arch): arch.rawValue
        case .segmentation(let arch): arch.rawValue
        }
    }

    /// Training memory per input pixel of one image at full width.
    var trainingBytesPerPixel: Double {
        switch self {
        case .classifier(let arch): arch.trainingBytesPerPixel
        case .segmentation(let arch): arch.trainingBytesPerPixel
        }
    }
}

extension BenchNetwork: ExpressibleByArgument {
    init?(argument: String) {
        if let arch = Architecture(rawValue: argument) {
            self = .classifier(arch)
        } else if let arch = SegArchitecture(rawValue: argument) {
            self = .segmentation(arch)
        } else {
            return nil
        }
    }

    var defaultValueDescription: String { name }

    static var allValueStrings: [String] {
        Architecture.allCases.map(\.rawValue) + SegArchitecture.allCases.map(\.rawValue)
    }
}
