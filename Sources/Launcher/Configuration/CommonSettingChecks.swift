/// The settings every training command has (`train`, `seg-train`): the
/// schedule, the update rule's numbers and the run, checked in one place.
protocol CommonTrainingSettings {
    var maxIters: Int { get }
    var lr: Float { get }
    var wtDec: Float { get }
    var momentum: Float { get }
    var widthDivisor: Int { get }
    var checkpointEvery: Int { get }
    var keepCheckpoints: Int { get }
    var logEvery: Int { get }
    var workers: Int { get }
    var threads: Int? { get }
    var bucketMb: Double { get }
    var collectiveTimeout: Double { get }
}

extension CommonTrainingSettings {
    /// Throws a UsageError naming the flag of the first value out of range.
    func validateCommon() throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw UsageError(message()) }
        }
        // A billion steps is years of training; beyond it counters printed with %d would wrap.
        try require(
            (1...1_000_000_000).contains(maxIters), "--max-iters must lie in 1…1000000000, not \(maxIters)")
        try require(lr.isFinite && lr > 0, "--lr must be a finite number > 0, not \(lr)")
        try require(wtDec.isFinite && wtDec >= 0, "--wt-dec must be a finite number >= 0, not \(wtDec)")
        try require(momentum >= 0 && momentum < 1, "--momentum must lie in [0, 1), not \(momentum)")
        try require(widthDivisor >= 1, "--width-divisor must be >= 1, not \(widthDivisor)")
        try require(
            checkpointEvery >= 0, "--checkpoint-every must be >= 0 (0 = only at the end), not \(checkpointEvery)")
        try require(keepCheckpoints >= 1, "--keep-checkpoints must be >= 1, not \(keepCheckpoints)")
        try require(logEvery >= 1, "--log-every must be >= 1, not \(logEvery)")
        try require((1...256).contains(workers), "--workers must lie in 1…256, not \(workers)")
        try require(threads.map { $0 >= 1 } ?? true, "--threads must be >= 1, not \(threads ?? 0)")
        try require(
            bucketMb.isFinite && bucketMb > 0 && bucketMb <= 1_000_000,
            "--bucket-mb must lie in (0, 1e6], not \(bucketMb)")
        try require(
            collectiveTimeout.isFinite && collectiveTimeout >= 0,
            "--collective-timeout must be a finite number >= 0 (0 = never), not \(collectiveTimeout)")
    }
}
