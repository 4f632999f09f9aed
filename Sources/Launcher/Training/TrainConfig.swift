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
        let settings = try SettingsResolver.resolve(
            TrainSettings.self, options: options, configPath: options.run.config, training: training)
        let invocation = try options.run.invocation()
        return TrainConfig(
            settings: settings, resume: invocation.resume, stopAtStep: invocation.stopAtStep,
            skipBad: invocation.skipBad)
    }

    /// The settings a config file's text gives on its own (no flags): parsed, decoded over the preset of its
    /// dataset and validated; `path` names it in messages. (The fuzz target and its tests call this.)
    public static func settings(configText text: String, path: String) throws -> TrainSettings {
        try SettingsResolver.settings(
            TrainSettings.self, SettingsResolver.configText(TrainSettings.self, text, path: path))
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
            allreduceDtype: s.allreduceDtype, mpiProgress: s.mpiProgress, collectiveTimeout: s.collectiveTimeout,
            stopAtStep: stopAtStep, configYAML: try yaml(),
            resumeSignature: resumeSignature, lossParts: true)
    }

    /// What a resumed run must share with the run it continues, or the sample
    /// order and schedule would differ from the uninterrupted run (paths may move).
    public var resumeSignature: String {
        let s = settings
        return
            "\(s.method) \(s.arch) \(s.widthDivisor) batch \(s.batchSize) crop \(s.cropSize) resize \(s.resize) "
            + "iters \(s.maxIters) \(s.optimizer) lr \(s.lr) wd \(s.wtDec) momentum \(s.momentum) tau \(s.tau) lam \(s.lam) "
            + "seed \(s.seed) jitter \(s.jitter)" + s.allreduceDtype.resumeSuffix
    }

    /// What every rank must agree on: everything that decides the result or
    /// the sequence of collectives (the run dir and thread count may differ).
    public var agreementSignature: String {
        let s = settings
        return
            "\(s.dataset) \(s.trainList) \(s.classNames ?? "-") \(s.method) \(s.arch) \(s.batchSize) \(s.cropSize) \(s.resize) "
            + "\(s.maxIters) \(s.optimizer) \(s.lr) \(s.wtDec) \(s.momentum) \(s.tau) \(s.lam) \(s.seed) \(s.jitter) \(s.widthDivisor) "
            + "eps-dist \(EpsDistVersion.current) \(s.allreduce) \(s.bucketMb) \(s.allreduceDtype) \(s.checkpointEvery) \(skipBad) "
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
