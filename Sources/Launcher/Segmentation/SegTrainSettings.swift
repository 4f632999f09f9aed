import Data
import Distributed
import Engine
import Foundation

/// Every persisted `seg-train` setting, declared once (YAML key = property
/// name in snake case = flag of SegTrainOptions), with its presets and checks.
public struct SegTrainSettings: Codable, Equatable, Sendable {
    // Data
    public var dataset: DatasetKind
    public var dataRoot: String
    public var trainList: String
    /// The pseudo-masks (or any label maps) `<id>.png`, kept apart from the ground truth.
    public var labelDir: String
    public var imgDir: String?
    public var classNames: String?
    // Model
    public var arch: SegArchitecture
    public var widthDivisor: Int
    public var weights: String?
    // Optimisation
    public var batchSize: Int
    public var iterSize: Int
    public var cropSize: Int
    public var maxIters: Int
    public var optimizer: OptimizerKind
    public var lr: Float
    public var wtDec: Float
    public var momentum: Float
    /// The poly schedule changes the learning rate every N updates (deeplab-pytorch: 10).
    public var lrUpdateEvery: Int
    public var seed: UInt64
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

    /// deeplab-pytorch's configs/voc12.yaml for the ResNets (section 2.4 of
    /// reference/stage2-and-crf.md): batch 5 × ITER_SIZE 2, crop 321, 20 000
    /// updates, SGD momentum 0.9, weight decay 5e-4, lr 2.5e-4 (ASPP ×10,
    /// its biases ×20), poly 0.9 refreshed every 10 updates, frozen BN; COCO
    /// keeps the recipe for 100 000 updates (its cocostuff164k config).
    /// deeplabv2-tiny (from scratch, trainable BN): Adam lr 0.001 without
    /// weight decay, batch 8, crop 241, 3 000 updates — on the synthetic data
    /// Adam reached 37.2 val mIoU after 300 updates where SGD (lr 3e-4 with
    /// the head's ×10, or 0.02 without) reached 26.6 and 22.8; trained on the
    /// ground truth it reached 53.8 after 1 000 updates, 59.2 after 2 000 and
    /// 65.0 after 3 000, the first budget to pass the capacity check of 60
    /// (lr 0.003 instead: 52.2 after 1 000; docs/QUALITY.md).
    public static func preset(_ kind: DatasetKind, arch: SegArchitecture = .deeplabv2Resnet101) -> SegTrainSettings {
        var settings = SegTrainSettings(
            dataset: kind, dataRoot: "", trainList: "", labelDir: "", imgDir: nil, classNames: nil,
            arch: arch, widthDivisor: 1, weights: nil, batchSize: 5, iterSize: 2, cropSize: 321,
            maxIters: kind == .coco ? 100_000 : 20_000, optimizer: .sgd, lr: 2.5e-4, wtDec: 5e-4, momentum: 0.9,
            lrUpdateEvery: 10, seed: 0, out: "", checkpointEvery: 5_000, keepCheckpoints: 3, logEvery: 10, workers: 2,
            threads: nil, allreduce: .bucketed, bucketMb: 25, allreduceDtype: .f32, mpiProgress: .thread,
            convAlgorithm: .auto,
            collectiveTimeout: 900)
        if arch.trainsFromScratch {
            settings.batchSize = 8
            settings.iterSize = 1
            settings.cropSize = 241
            settings.maxIters = 3_000
            settings.optimizer = .adam
            settings.lr = 0.001
            settings.wtDec = 0
            settings.lrUpdateEvery = 1
            settings.checkpointEvery = 0
        }
        return settings
    }

    /// "5" when every preset agrees, else per network, for help texts.
    static func defaultText<T: Equatable>(_ setting: KeyPath<SegTrainSettings, T>) -> String {
        func text(_ v: T) -> String {
            if let v = v as? any Encodable, let t = try? FlatYAMLEncoder.Scalar.text(v) { return t }
            return "\(v)"
        }
        let (resnet, tiny) = (preset(.voc)[keyPath: setting], preset(.voc, arch: .deeplabv2Tiny)[keyPath: setting])
        return resnet == tiny ? text(resnet) : "\(text(resnet)); deeplabv2-tiny: \(text(tiny))"
    }

    public func validate(training: Bool = true) throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw UsageError(message()) }
        }
        try require(!dataRoot.isEmpty, "missing --data-root (the dataset root)")
        try require(!trainList.isEmpty, "missing --train-list (image ids, one per line)")
        try require(
            !labelDir.isEmpty,
            "missing --label-dir (the pseudo-masks <id>.png to train on, e.g. infer's --out; not the ground truth)")
        try require(!training || !out.isEmpty, "missing --out (the run directory)")
        try require(batchSize > 0, "--batch-size must be positive, not \(batchSize)")
        try require((1...64).contains(iterSize), "--iter-size must lie in 1…64, not \(iterSize)")
        try require(
            (33...TrainSettings.maxSide).contains(cropSize),
            "--crop-size must lie in 33…\(TrainSettings.maxSide), not \(cropSize)")
        try require(lrUpdateEvery >= 1, "--lr-update-every must be >= 1, not \(lrUpdateEvery)")
        try validateCommon()
    }
}

extension SegTrainSettings: LayeredSettings, CommonTrainingSettings {
    static func preset(given: [String: FlatYAMLDecoder.Value]) throws -> (settings: SegTrainSettings, name: String) {
        let kind = try SettingsResolver.pick(DatasetKind.self, "dataset", in: given, fallback: DatasetKind.voc.rawValue)
        let arch = try SettingsResolver.pick(
            SegArchitecture.self, "arch", in: given, fallback: SegArchitecture.deeplabv2Resnet101.rawValue)
        return (preset(kind, arch: arch), "the \(kind.rawValue) \(arch.rawValue) preset")
    }

    static func settingKeys() throws -> [String] { try FlatYAMLEncoder.encode(preset(.voc)).keys }
}
