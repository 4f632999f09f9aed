import Data
import Engine
import Foundation
import Support

/// The effective configuration of a training run: the settings (written to
/// config.yaml) and how this invocation runs them. Settings read through
/// (`config.lr`).
@dynamicMemberLookup
public struct TrainConfig {
    public var settings: TrainSettings
    public var resume: ResumeMode
    public var stopAtStep: Int?
    public var skipBad: Bool

    public subscript<T>(dynamicMember setting: KeyPath<TrainSettings, T>) -> T { settings[keyPath: setting] }

    /// Flags over `--config` over the dataset's preset, decoded and validated.
    /// `training: false` (check-data) needs no --out.
    public static func resolve(_ options: TrainOptions, training: Bool = true) throws -> TrainConfig {
        let flags = CommandLineSettings.given(in: options)
        let file = try options.config.map { try configFile($0) } ?? [:]
        let settings = try settings(file.merging(flags) { _, flag in flag }, training: training)
        if let step = options.stopAtStep, step < 1 { throw UsageError("--stop-at-step must be >= 1, not \(step)") }
        return TrainConfig(
            settings: settings, resume: try ResumeMode(resume: options.resume, auto: options.resumeAuto),
            stopAtStep: options.stopAtStep, skipBad: options.skipBad)
    }

    /// The given values over the preset of their dataset and backbone, decoded and validated.
    static func settings(_ layered: [String: FlatYAMLDecoder.Value], training: Bool = true) throws -> TrainSettings {
        let kind = try FlatYAMLDecoder.decode(
            DatasetKind.self, fromText: layered["dataset"]?.text ?? DatasetKind.voc.rawValue,
            source: layered["dataset"]?.source ?? "")
        let arch = try FlatYAMLDecoder.decode(
            Architecture.self, fromText: layered["arch"]?.text ?? Architecture.resnet38.rawValue,
            source: layered["arch"]?.source ?? "")
        let optimizer = try FlatYAMLDecoder.decode(
            OptimizerKind.self, fromText: layered["optimizer"]?.text ?? OptimizerKind.sgd.rawValue,
            source: layered["optimizer"]?.source ?? "")
        let preset = try FlatYAMLEncoder.encode(TrainSettings.preset(kind, arch: arch, optimizer: optimizer))
        let defaults = preset.dictionary.mapValues {
            FlatYAMLDecoder.Value(text: $0, source: "the \(kind.rawValue) \(arch.rawValue) preset")
        }
        let settings = try FlatYAMLDecoder.decode(
            TrainSettings.self, from: defaults.merging(layered) { _, given in given })
        try settings.validate(training: training)
        return settings
    }

    /// The settings a config file's text gives on its own (no flags): parsed, decoded over the preset of its
    /// dataset and validated; `path` names it in messages. (The fuzz target and its tests call this.)
    public static func settings(configText text: String, path: String) throws -> TrainSettings {
        try settings(configText(text, path: path))
    }

    /// A config file's settings; a key that is not a setting is an error
    /// naming the closest one (a typo must not train at the default).
    static func configFile(_ path: String) throws -> [String: FlatYAMLDecoder.Value] {
        try configText(InputFile.text(path, what: "the config file (--config)"), path: path)
    }

    /// `configFile` of text in memory; `path` names it in messages.
    static func configText(_ text: String, path: String) throws -> [String: FlatYAMLDecoder.Value] {
        let pairs = try FlatYAML.parse(text, path: path)
        let known = try FlatYAMLEncoder.encode(TrainSettings.preset(.voc)).keys
        let unknown = pairs.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            let hints = unknown.map { key in
                SettingKey.closest(to: key, in: known).map { "\(key) (did you mean \($0)?)" } ?? key
            }
            throw UsageError(
                "\(path): unknown setting(s): \(hints.joined(separator: ", ")); the settings are: "
                    + "\(known.joined(separator: ", "))"
            )
        }
        return pairs.mapValues { .init(text: $0, source: path) }
    }

    /// The effective settings as config.yaml (readable by --config).
    public func yaml() throws -> String { try FlatYAMLEncoder.encode(settings).text }

    /// What the training loop reads.
    func loopSettings() throws -> LoopSettings {
        let s = settings
        return LoopSettings(
            out: s.out, resume: resume, seed: s.seed, batchSize: s.batchSize, maxIters: s.maxIters, lr: s.lr,
            adam: s.optimizer == .adam, logEvery: s.logEvery, checkpointEvery: s.checkpointEvery,
            keepCheckpoints: s.keepCheckpoints, allreduce: s.allreduce, bucketMb: s.bucketMb,
            collectiveTimeout: s.collectiveTimeout, stopAtStep: stopAtStep, configYAML: try yaml(),
            resumeSignature: resumeSignature, lossParts: true)
    }

    /// What a resumed run must share with the run it continues, or the sample
    /// order and schedule would differ from the uninterrupted run (paths may move).
    public var resumeSignature: String {
        let s = settings
        return
            "\(s.method) \(s.arch) \(s.widthDivisor) batch \(s.batchSize) crop \(s.cropSize) resize \(s.resize) "
            + "iters \(s.maxIters) \(s.optimizer) lr \(s.lr) wd \(s.wtDec) momentum \(s.momentum) tau \(s.tau) lam \(s.lam) "
            + "seed \(s.seed) jitter \(s.jitter)"
    }

    /// What every rank must agree on: everything that decides the result or
    /// the sequence of collectives (the run dir and thread count may differ).
    public var agreementSignature: String {
        let s = settings
        return
            "\(s.dataset) \(s.trainList) \(s.classNames ?? "-") \(s.method) \(s.arch) \(s.batchSize) \(s.cropSize) \(s.resize) "
            + "\(s.maxIters) \(s.optimizer) \(s.lr) \(s.wtDec) \(s.momentum) \(s.tau) \(s.lam) \(s.seed) \(s.jitter) \(s.widthDivisor) "
            + "eps-dist \(EpsDistVersion.current) \(s.allreduce) \(s.bucketMb) \(s.checkpointEvery) \(skipBad) "
            + "\(stopAtStep.map(String.init) ?? "-")"
    }
}

/// Whether a run continues the one in --out.
public enum ResumeMode: Sendable {
    /// A new run: --out must not hold one.
    case no
    /// --resume: continue from the newest step checkpoint, which must exist.
    case required
    /// --resume-auto: continue if there is a step checkpoint, else start.
    case ifPresent

    init(resume: Bool, auto: Bool) throws {
        switch (resume, auto) {
        case (false, false): self = .no
        case (true, false): self = .required
        case (false, true): self = .ifPresent
        case (true, true): throw UsageError("pass --resume or --resume-auto, not both")
        }
    }

    public var resumes: Bool { self != .no }
}
