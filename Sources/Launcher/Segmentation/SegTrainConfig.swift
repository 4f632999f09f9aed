import Data
import Engine
import Foundation

/// The effective configuration of a `seg-train` run: the settings (config.yaml)
/// and how this invocation runs them.
@dynamicMemberLookup
public struct SegTrainConfig {
    public var settings: SegTrainSettings
    public var resume: ResumeMode
    public var stopAtStep: Int?
    public var skipBad: Bool

    public subscript<T>(dynamicMember setting: KeyPath<SegTrainSettings, T>) -> T { settings[keyPath: setting] }

    public static func resolve(_ options: SegTrainOptions, training: Bool = true) throws -> SegTrainConfig {
        let settings = try SettingsResolver.resolve(
            SegTrainSettings.self, options: options, configPath: options.run.config, training: training)
        let invocation = try options.run.invocation()
        return SegTrainConfig(
            settings: settings, resume: invocation.resume, stopAtStep: invocation.stopAtStep,
            skipBad: invocation.skipBad)
    }

    public func yaml() throws -> String { try FlatYAMLEncoder.encode(settings).text }

    /// What a resumed run must share with the run it continues (paths may move).
    public var resumeSignature: String {
        let s = settings
        return
            "seg \(s.arch) \(s.widthDivisor) batch \(s.batchSize)×\(s.iterSize) crop \(s.cropSize) iters \(s.maxIters) "
            + "\(s.optimizer) lr \(s.lr) wd \(s.wtDec) momentum \(s.momentum) every \(s.lrUpdateEvery) seed \(s.seed)"
            + s.allreduceDtype.resumeSuffix
    }

    /// What every rank must agree on (the run dir and thread count may differ).
    public var agreementSignature: String {
        "\(resumeSignature) \(settings.dataset) \(settings.trainList) \(settings.labelDir) \(settings.classNames ?? "-") "
            + "eps-dist \(EpsDistVersion.current) \(settings.allreduce) \(settings.bucketMb) \(settings.allreduceDtype) "
            + "\(settings.checkpointEvery) \(skipBad) \(stopAtStep.map(String.init) ?? "-")"
    }

    func loopSettings() throws -> LoopSettings {
        let s = settings
        return LoopSettings(
            out: s.out, resume: resume, seed: s.seed, batchSize: s.batchSize, iterSize: s.iterSize,
            maxIters: s.maxIters, lr: s.lr, adam: s.optimizer == .adam, logEvery: s.logEvery,
            checkpointEvery: s.checkpointEvery, keepCheckpoints: s.keepCheckpoints, allreduce: s.allreduce,
            bucketMb: s.bucketMb, allreduceDtype: s.allreduceDtype, mpiProgress: s.mpiProgress,
            collectiveTimeout: s.collectiveTimeout, stopAtStep: stopAtStep,
            configYAML: try yaml(), resumeSignature: resumeSignature, lossParts: false)
    }
}
