import ArgumentParser
import Data
import Distributed
import Engine

/// The flags of `eps-dist train` and `check-data`. A flag named like a
/// TrainSettings property sets that setting (`--crop-size` → `cropSize`);
/// all are optional so the order of precedence is: flag > `--config FILE` >
/// the dataset's preset. The help texts show the presets' own defaults.
public struct TrainOptions: ParsableArguments {
    public init() {}
    typealias S = TrainSettings

    // Data
    @Option(help: "Dataset layout, which also picks the defaults: \(DatasetKind.namesText) (voc).") var dataset:
        DatasetKind?
    @Option(help: "Dataset root (the VOC2012 folder, or the COCO root).") var dataRoot: String?
    @Option(help: "List of training image ids, one per line.") var trainList: String?
    @Option(help: "Folder of saliency maps <id>.png (EPS).") var saliencyRoot: String?
    @Option(help: "Image-level labels: text `id idx ...` or JSON {id: [idx]} (default: VOC Annotations/*.xml).")
    var labels: String?
    @Option(help: "Image folder (default: VOC JPEGImages/, COCO train2014/ or images/).") var imgDir: String?
    @Option(
        help: """
            One's own classes: a file of one class name per line, in label-index order, no background line \
            (default: the dataset's VOC or COCO classes).
            """)
    var classNames: String?
    // Model
    @Option(help: "Method: eps (saliency loss, C+1 maps) or cam (baseline) (\(S.defaultText(\.method))).")
    var method: Method?
    @Option(help: "Backbone: \(Architecture.helpList) (\(S.defaultText(\.arch))).") var arch: Architecture?
    @Option(
        help: "Divide every layer's width by D (small test networks; \(S.defaultText(\.widthDivisor)) = the real one).")
    var widthDivisor: Int?
    @Option(
        help: "Initial weights: .safetensors (an eps-dist checkpoint), .pth (PyTorch state dict) or .params (MXNet).")
    var weights: String?
    // Optimisation
    @Option(help: "Global batch size over all ranks (\(S.defaultText(\.batchSize))).") var batchSize: Int?
    @Option(help: "Random crop size (\(S.defaultText(\.cropSize))).") var cropSize: Int?
    @Option(parsing: .upToNextOption, help: "Random long side range LO HI (\(S.defaultText(\.resizeSize))).")
    var resizeSize: [Int] = []
    @Option(help: "Training iterations (\(S.defaultText(\.maxIters))).") var maxIters: Int?
    @Option(
        help: """
            Update rule: sgd (the reference's) or adam (torch.optim.Adam, β 0.9/0.999, default --lr 0.001; \
            --momentum then unused) (\(S.defaultText(\.optimizer))).
            """)
    var optimizer: OptimizerKind?
    @Option(help: "Base learning rate; fc8 gets 10× (\(S.defaultText(\.lr))).") var lr: Float?
    @Option(help: "Weight decay on conv weights (\(S.defaultText(\.wtDec))).") var wtDec: Float?
    @Option(help: "SGD momentum; the reference really uses 0.0005, its argument swap (\(S.defaultText(\.momentum))).")
    var momentum: Float?
    @Option(help: "Overlap threshold τ of the saliency loss (\(S.defaultText(\.tau))).") var tau: Float?
    @Option(help: "Weight λ of the estimated saliency (\(S.defaultText(\.lam))).") var lam: Float?
    @Option(help: "Random seed of initialisation, sample order and augmentation (\(S.defaultText(\.seed))).")
    var seed: UInt64?
    @Flag(inversion: .prefixedNo, help: "Colour jitter of the training images (on, as the reference).") var jitter:
        Bool?
    @OptionGroup var run: RunOptions

    /// Flags named like no setting, and settings without a flag (both must be
    /// empty: a test checks it, so the two declarations cannot drift apart).
    public static func namingMismatches() throws -> (flagsWithoutSetting: [String], settingsWithoutFlag: [String]) {
        let flags = CommandLineSettings.properties(of: try TrainOptions.parse([])).filter {
            !RunOptions.invocationFlags.contains($0)
        }
        let keys = try FlatYAMLEncoder.encode(TrainSettings.preset(.voc)).keys
        let flagKeys = flags.map(SettingKey.yaml)
        return (flags.filter { !keys.contains(SettingKey.yaml($0)) }, keys.filter { !flagKeys.contains($0) })
    }
}

extension DatasetKind: ExpressibleByArgument {
    /// `voc12`, the official code's name, is `voc`.
    public init?(argument: String) { self.init(name: argument) }
}
extension AllreduceMode: ExpressibleByArgument {}
extension ConvAlgorithm: ExpressibleByArgument {}
extension AllreduceDType: ExpressibleByArgument {}
extension CollectiveProgress: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
