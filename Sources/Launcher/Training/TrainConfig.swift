import ArgumentParser
import Data
import Engine
import Foundation

/// The train flags (DESIGN §8). Every value is optional here so that the
/// order of precedence is: flag given > `--config FILE.yaml` > dataset preset.
public struct TrainOptions: ParsableArguments {
    public init() {}
    @Option(help: "Dataset layout: voc or coco.") var dataset: String?
    @Option(help: "Dataset root (the VOC2012 folder, or the COCO root).") var dataRoot: String?
    @Option(help: "List of training image ids, one per line.") var trainList: String?
    @Option(help: "Folder of saliency maps <id>.png (EPS).") var saliencyRoot: String?
    @Option(help: "Image-level labels: text `id idx ...` or JSON {id: [idx]} (default: VOC Annotations/*.xml).") var labels: String?
    @Option(help: "Image folder (default: VOC JPEGImages/, COCO train2014/ or images/).") var imgDir: String?
    @Option(help: "eps (saliency loss, C+1 maps) or cam (baseline).") var method: String?
    @Option(help: "Backbone: resnet38 or tiny.") var arch: String?
    @Option(help: "Initial weights (safetensors checkpoint of eps-dist).") var weights: String?
    @Option(help: "Global batch size over all ranks (VOC 8, COCO 16).") var batchSize: Int?
    @Option(help: "Random crop size (VOC 448, COCO 321).") var cropSize: Int?
    @Option(parsing: .upToNextOption, help: "Random long side range LO HI (VOC 256 512, COCO 256 448).") var resizeSize: [Int] = []
    @Option(help: "Training iterations (VOC 20000).") var maxIters: Int?
    @Option(help: "Base learning rate (fc8 gets 10×) (0.01).") var lr: Float?
    @Option(help: "Weight decay on conv weights (5e-4).") var wtDec: Float?
    @Option(help: "SGD momentum; the reference really uses 0.0005 (its argument swap).") var momentum: Float?
    @Option(help: "Overlap threshold τ of the saliency loss (0.4).") var tau: Float?
    @Option(help: "Weight λ of the estimated saliency (VOC 0.5, COCO 0.9).") var lam: Float?
    @Option(help: "Random seed of initialisation, sample order and augmentation (0).") var seed: UInt64?
    @Option(help: "Read defaults from a flat YAML file (config.yaml of a run works).") var config: String?
    @Option(help: "Run directory for checkpoints, metrics and logs.") var out: String?
    @Option(help: "Write a checkpoint every N steps (0 = only at the end).") var checkpointEvery: Int?
    @Option(help: "Keep the last K step checkpoints (3).") var keepCheckpoints: Int?
    @Flag(help: "Continue from the newest complete checkpoint in --out.") var resume = false
    @Option(help: "Compute threads per rank (default: cores of the node / ranks on it).") var threads: Int?
    @Option(help: "Log every N steps (10).") var logEvery: Int?
    @Option(help: "Decode/augmentation threads per rank (2).") var workers: Int?
    @Option(help: "Gradient averaging: bucketed (non-blocking, overlapping backward) or flat (one blocking allreduce).") var allreduce: String?
    @Option(help: "Bucket size in MB for --allreduce bucketed (25).") var bucketMb: Double?
    @Option(help: "Abort when a collective has not completed after this many seconds (900; 0 = never).") var collectiveTimeout: Double?
    @Option(help: "Stop after step N as if preempted: write a step checkpoint and exit 3 (e.g. to fit a batch-queue time slot; continue with --resume).") var stopAtStep: Int?
    @Flag(help: "Turn off colour jitter (on by default, as the reference).") var noJitter = false
    @Flag(help: "Drop samples that fail validation instead of stopping.") var skipBad = false
    @Option(help: "Divide every layer's width by D (small test networks; 1 = the real network).") var widthDivisor: Int?
}

/// The effective training configuration.
public struct TrainConfig {
    public var dataset: DatasetConfig
    public var method: Method
    public var arch: Architecture
    public var weights: String?
    public var batchSize: Int
    public var cropSize: Int
    public var resize: ClosedRange<Int>
    public var maxIters: Int
    public var lr: Float
    public var wtDec: Float
    public var momentum: Float
    public var tau: Float
    public var lam: Float
    public var seed: UInt64
    public var out: String
    public var checkpointEvery: Int
    public var keepCheckpoints: Int
    public var resume: Bool
    public var threads: Int?
    public var logEvery: Int
    public var workers: Int
    public var allreduce: AllreduceMode
    public var bucketMB: Double
    public var collectiveTimeout: Double
    /// Stop after step N as if preempted (checkpoint, exit 3).
    public var stopAtStep: Int?
    public var jitter: Bool
    public var skipBad: Bool
    public var widthDivisor: Int

    public static func resolve(_ o: TrainOptions) throws -> TrainConfig {
        let file = try o.config.map { try FlatYAML.read($0) } ?? [:]
        func pick<T>(_ flag: T?, _ key: String, _ parse: (String) -> T?) throws -> T? {
            if let flag { return flag }
            guard let raw = file[key] else { return nil }
            guard let value = parse(raw) else { throw UsageError("\(o.config!): `\(key): \(raw)` is not a valid value") }
            return value
        }
        func required(_ v: String?, _ flag: String) throws -> String {
            guard let v, !v.isEmpty else { throw UsageError("missing \(flag)") }
            return v
        }
        let kindName = try pick(o.dataset, "dataset", { $0 }) ?? "voc"
        guard let kind = DatasetKind(rawValue: kindName) else { throw UsageError("--dataset must be voc or coco, not '\(kindName)'") }
        let methodName = try pick(o.method, "method", { $0 }) ?? "eps"
        guard let method = Method(rawValue: methodName) else { throw UsageError("--method must be eps or cam, not '\(methodName)'") }
        let archName = try pick(o.arch, "arch", { $0 }) ?? "resnet38"
        guard let arch = Architecture(rawValue: archName) else {
            throw UsageError("--arch must be one of \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")), not '\(archName)'")
        }
        let coco = kind == .coco
        let resizeList = o.resizeSize.isEmpty ? (file["resize_size"].map { FlatYAML.list($0).compactMap { Int($0) } } ?? []) : o.resizeSize
        // A repeated --resize-size appends; the last pair given wins, as for other flags.
        let resize = resizeList.isEmpty ? (coco ? [256, 448] : [256, 512]) : (resizeList.count > 2 && resizeList.count % 2 == 0 ? Array(resizeList.suffix(2)) : resizeList)
        guard resize.count == 2, resize[0] > 0, resize[0] <= resize[1] else {
            throw UsageError("--resize-size takes two sizes LO HI with 0 < LO <= HI")
        }
        let allreduceName = try pick(o.allreduce, "allreduce", { $0 }) ?? "bucketed"
        guard let allreduceMode = AllreduceMode(rawValue: allreduceName) else {
            throw UsageError("--allreduce must be bucketed or flat, not '\(allreduceName)'")
        }
        let saliency = try pick(o.saliencyRoot, "saliency_root", { $0 })
        if method == .eps && saliency == nil { throw UsageError("missing --saliency-root (EPS needs saliency maps; or use --method cam)") }
        let config = TrainConfig(
            dataset: DatasetConfig(kind: kind, dataRoot: try required(try pick(o.dataRoot, "data_root", { $0 }), "--data-root"),
                                   listFile: try required(try pick(o.trainList, "train_list", { $0 }), "--train-list"),
                                   imageDir: try pick(o.imgDir, "img_dir", { $0 }), saliencyRoot: saliency,
                                   labelsFile: try pick(o.labels, "labels", { $0 })),
            method: method, arch: arch, weights: try pick(o.weights, "weights", { $0 }),
            batchSize: try pick(o.batchSize, "batch_size", { Int($0) }) ?? (coco ? 16 : 8),
            cropSize: try pick(o.cropSize, "crop_size", { Int($0) }) ?? (coco ? 321 : 448),
            resize: resize[0]...resize[1],
            maxIters: try pick(o.maxIters, "max_iters", { Int($0) }) ?? (coco ? 256_500 : 20_000),
            lr: try pick(o.lr, "lr", { Float($0) }) ?? 0.01,
            wtDec: try pick(o.wtDec, "wt_dec", { Float($0) }) ?? 5e-4,
            momentum: try pick(o.momentum, "momentum", { Float($0) }) ?? 5e-4,
            tau: try pick(o.tau, "tau", { Float($0) }) ?? 0.4,
            lam: try pick(o.lam, "lam", { Float($0) }) ?? (coco ? 0.9 : 0.5),
            seed: try pick(o.seed, "seed", { UInt64($0) }) ?? 0,
            out: try required(try pick(o.out, "out", { $0 }), "--out"),
            checkpointEvery: try pick(o.checkpointEvery, "checkpoint_every", { Int($0) }) ?? 0,
            keepCheckpoints: try pick(o.keepCheckpoints, "keep_checkpoints", { Int($0) }) ?? 3,
            resume: o.resume,
            threads: try pick(o.threads, "threads", { Int($0) }),
            logEvery: max(try pick(o.logEvery, "log_every", { Int($0) }) ?? 10, 1),
            workers: max(try pick(o.workers, "workers", { Int($0) }) ?? 2, 1),
            allreduce: allreduceMode,
            bucketMB: try pick(o.bucketMb, "bucket_mb", { Double($0) }) ?? 25,
            collectiveTimeout: try pick(o.collectiveTimeout, "collective_timeout", { Double($0) }) ?? 900,
            stopAtStep: o.stopAtStep,
            jitter: !(o.noJitter || file["jitter"] == "false"),
            skipBad: o.skipBad,
            widthDivisor: try pick(o.widthDivisor, "width_divisor", { Int($0) }) ?? 1)
        try config.check()
        return config
    }

    func check() throws {
        guard batchSize > 0 else { throw UsageError("--batch-size must be positive") }
        guard cropSize >= 8 else { throw UsageError("--crop-size must be at least 8") }
        guard maxIters > 0 else { throw UsageError("--max-iters must be positive") }
        guard lr > 0, wtDec >= 0, momentum >= 0, momentum < 1 else { throw UsageError("--lr must be > 0, --wt-dec >= 0, 0 <= --momentum < 1") }
        guard (0...1).contains(tau), (0...1).contains(lam) else { throw UsageError("--tau and --lam must lie in [0, 1]") }
        guard widthDivisor >= 1 else { throw UsageError("--width-divisor must be >= 1") }
        guard bucketMB > 0, collectiveTimeout >= 0 else { throw UsageError("--bucket-mb must be > 0 and --collective-timeout >= 0") }
    }

    /// The effective config as flat YAML (config.yaml; readable by --config).
    public var yaml: String {
        var pairs: [(String, String)] = [
            ("dataset", dataset.kind.rawValue), ("data_root", dataset.dataRoot), ("train_list", dataset.listFile),
        ]
        if let s = dataset.saliencyRoot { pairs.append(("saliency_root", s)) }
        if let l = dataset.labelsFile { pairs.append(("labels", l)) }
        if let i = dataset.imageDir { pairs.append(("img_dir", i)) }
        pairs += [("method", method.rawValue), ("arch", arch.rawValue)]
        if let w = weights { pairs.append(("weights", w)) }
        pairs += [
            ("batch_size", "\(batchSize)"), ("crop_size", "\(cropSize)"),
            ("resize_size", "[\(resize.lowerBound), \(resize.upperBound)]"), ("max_iters", "\(maxIters)"),
            ("lr", "\(lr)"), ("wt_dec", "\(wtDec)"), ("momentum", "\(momentum)"), ("tau", "\(tau)"), ("lam", "\(lam)"),
            ("seed", "\(seed)"), ("out", out), ("checkpoint_every", "\(checkpointEvery)"),
            ("keep_checkpoints", "\(keepCheckpoints)"), ("log_every", "\(logEvery)"), ("workers", "\(workers)"), ("jitter", "\(jitter)"),
            ("allreduce", allreduce.rawValue), ("bucket_mb", "\(bucketMB)"), ("collective_timeout", "\(collectiveTimeout)"),
        ]
        if widthDivisor != 1 { pairs.append(("width_divisor", "\(widthDivisor)")) }
        return FlatYAML.render(pairs)
    }

    /// What a resumed run must share with the run it continues, or the sample
    /// order and schedule would differ from the uninterrupted run (paths may move).
    public var resumeSignature: String {
        "\(method) \(arch) \(widthDivisor) batch \(batchSize) crop \(cropSize) resize \(resize) iters \(maxIters) lr \(lr) wd \(wtDec) momentum \(momentum) tau \(tau) lam \(lam) seed \(seed) jitter \(jitter)"
    }

    /// What every rank must agree on (the run dir and thread count may differ).
    public var agreementSignature: String {
        "\(dataset.kind) \(dataset.listFile) \(method) \(arch) \(batchSize) \(cropSize) \(resize) \(maxIters) \(lr) \(wtDec) \(momentum) \(tau) \(lam) \(seed) \(jitter) \(widthDivisor)"
    }
}
