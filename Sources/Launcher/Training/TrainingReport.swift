import Engine
import Foundation

/// What the trainer says after each step: the live progress line, and every
/// `logEvery` steps (and at the first and last step) a log line with the
/// window's means and the same values as a metrics.jsonl record and a
/// TensorBoard event (rank 0 only).
final class TrainingReport {
    let log: RankLog
    let metrics: MetricsLog?
    let events: TensorBoardEventFile?
    let progress: ProgressLine
    let clock: RunClock
    let logEvery: Int
    /// Whether the loss has parts to report (EPS: cls and sal) beside the total.
    let lossParts: Bool
    private var window: StepWindow

    init(
        log: RankLog, metrics: MetricsLog?, events: TensorBoardEventFile?, progress: ProgressLine, clock: RunClock,
        logEvery: Int, lossParts: Bool = true
    ) {
        self.lossParts = lossParts
        self.log = log
        self.metrics = metrics
        self.events = events
        self.progress = progress
        self.clock = clock
        self.logEvery = logEvery
        window = StepWindow(began: clock.started)
    }

    /// After step `done` (1-based count of finished steps).
    func stepFinished(_ done: Int, _ result: StepResult, lr: Float, dataSeconds: Double) throws {
        window.add(result, dataSeconds: dataSeconds)
        let rate = clock.imagesPerSecond(stepsDone: done)
        let eta = RunClock.format(clock.secondsLeft(stepsDone: done))
        let total = clock.lastStep
        progress.show(String(format: "step %d/%d  loss %.4f  %.1f img/s  eta ", done, total, result.loss, rate) + eta)
        guard done % logEvery == 0 || done == total || done == clock.firstStep + 1 else { return }
        let now = Date()
        let record = window.record(
            step: done, lr: lr, imagesPerStep: clock.imagesPerStep, now: now, elapsed: clock.runElapsed(at: now),
            lossParts: lossParts)
        window = StepWindow(began: now)
        progress.clear()
        log.info(record.logLine(lastStep: total, eta: eta))
        try metrics?.append(record)
        try events?.append(
            TensorBoardEvents.scalars(record.scalars, wallTime: now.timeIntervalSince1970, step: record.step))
    }
}
