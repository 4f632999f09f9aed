import ArgumentParser
import Data
import Engine

/// The flags of `eps-dist seg-train`: each named like a SegTrainSettings
/// property sets it; flag > `--config FILE` > the preset of the dataset and network.
public struct SegTrainOptions: ParsableArguments {
    public init() {}
    typealias S = SegTrainSettings

    // Data
    @Option(help: "Dataset layout and classes: \(DatasetKind.namesText) (voc).") var dataset: DatasetKind?
    @Option(help: "Dataset root (the VOC2012 folder, or the COCO root).") var dataRoot: String?
    @Option(help: "List of training image ids, one per line (VOC: train_aug).") var trainList: String?
    @Option(
        help: """
            Label maps <id>.png to train on: the pseudo-masks (infer's or refine's --out), grey or palette, values \
            0…C−1 or 255 (ignored). Kept apart from the ground truth, which val still needs.
            """)
    var labelDir: String?
    @Option(help: "Image folder (default: VOC JPEGImages/, COCO train2014/ or images/).") var imgDir: String?
    @Option(help: "One's own classes, one name per line in label order (default: the dataset's).") var classNames:
        String?
    // Model
    @Option(help: "Network: \(SegArchitecture.helpList) (\(S.defaultText(\.arch))).") var arch: SegArchitecture?
    @Option(help: "Divide every width by D (tests; \(S.defaultText(\.widthDivisor)) = the real network).")
    var widthDivisor: Int?
    @Option(
        help: """
            Initial weights: deeplab-pytorch's deeplabv1_resnet101-coco.pth (its `fc` is dropped, ASPP starts anew), \
            a torchvision ResNet .pth, or an eps-dist seg-train checkpoint.
            """)
    var weights: String?
    // Optimisation
    @Option(help: "Global batch per sub-batch over all ranks (\(S.defaultText(\.batchSize))).") var batchSize: Int?
    @Option(help: "Sub-batches accumulated per update (deeplab-pytorch's ITER_SIZE) (\(S.defaultText(\.iterSize))).")
    var iterSize: Int?
    @Option(help: "Random crop size (\(S.defaultText(\.cropSize))).") var cropSize: Int?
    @Option(help: "Updates (\(S.defaultText(\.maxIters))).") var maxIters: Int?
    @Option(help: "Update rule: sgd or adam (\(S.defaultText(\.optimizer))).") var optimizer: OptimizerKind?
    @Option(help: "Base learning rate; ASPP weights ×10, its biases ×20 (\(S.defaultText(\.lr))).") var lr: Float?
    @Option(help: "Weight decay of the conv weights (\(S.defaultText(\.wtDec))).") var wtDec: Float?
    @Option(help: "SGD momentum (\(S.defaultText(\.momentum))).") var momentum: Float?
    @Option(help: "The poly learning rate changes every N updates (\(S.defaultText(\.lrUpdateEvery))).")
    var lrUpdateEvery: Int?
    @Option(help: "Random seed of initialisation, sample order and augmentation (\(S.defaultText(\.seed))).")
    var seed: UInt64?

    @OptionGroup var run: RunOptions

    /// Flags named like no setting, and settings without a flag (a test keeps both empty).
    public static func namingMismatches() throws -> (flagsWithoutSetting: [String], settingsWithoutFlag: [String]) {
        let flags = CommandLineSettings.properties(of: try SegTrainOptions.parse([])).filter {
            !RunOptions.invocationFlags.contains($0)
        }
        let keys = try SegTrainSettings.settingKeys()
        let flagKeys = flags.map(SettingKey.yaml)
        return (flags.filter { !keys.contains(SettingKey.yaml($0)) }, keys.filter { !flagKeys.contains($0) })
    }
}

extension SegArchitecture: ExpressibleByArgument {}
