import Foundation

/// Throughput and time left of a run of steps `first..<last`, from the
/// wall-clock time since it (re)started.
struct RunClock {
    let started = Date()
    let firstStep: Int
    let lastStep: Int
    /// Images per step (the global batch).
    let imagesPerStep: Int
    /// Seconds the run had taken before this session (from the checkpoint it resumes; 0 for a new run).
    var elapsedBefore = 0.0

    var elapsed: Double { Date().timeIntervalSince(started) }

    /// Seconds since the run started, over all its sessions.
    func runElapsed(at now: Date = Date()) -> Double { elapsedBefore + now.timeIntervalSince(started) }

    /// Images per second over the steps done since the start.
    func imagesPerSecond(stepsDone done: Int) -> Double {
        Double((done - firstStep) * imagesPerStep) / max(elapsed, 1e-9)
    }

    /// Seconds left, at the mean pace so far.
    func secondsLeft(stepsDone done: Int) -> Double {
        Double(lastStep - done) * elapsed / Double(max(done - firstStep, 1))
    }

    /// "4m05s", "2h13m", or "?" when unknown.
    static func format(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}
