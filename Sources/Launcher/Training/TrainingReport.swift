import Engine
import Foundation

/// What the trainer says after each step: the live progress line, a log line
/// with the window's mean losses every `logEvery` steps (and at the first
/// and last step), and the matching metrics.jsonl record (rank 0 only).
final class TrainingReport {
    let log: RankLog
    let metrics: MetricsLog?
    let progress: ProgressLine
    let clock: RunClock
    let logEvery: Int
    private var window = LossWindow()

    init(log: RankLog, metrics: MetricsLog?, progress: ProgressLine, clock: RunClock, logEvery: Int) {
        self.log = log
        self.metrics = metrics
        self.progress = progress
        self.clock = clock
        self.logEvery = logEvery
    }

    /// After step `done` (1-based count of finished steps).
    func stepFinished(_ done: Int, _ result: StepResult, lr: Float, dataSeconds: Double) throws {
        window.add(cls: result.lossCls, sal: result.lossSal)
        let rate = clock.imagesPerSecond(stepsDone: done)
        let eta = RunClock.format(clock.secondsLeft(stepsDone: done))
        let total = clock.lastStep
        progress.show(String(format: "step %d/%d  loss %.4f  %.1f img/s  eta ", done, total, result.loss, rate) + eta)
        guard done % logEvery == 0 || done == total || done == clock.firstStep + 1 else { return }
        let mean = window.mean
        window.reset()
        progress.clear()
        log.info(
            String(
                format: "step %6d/%d  loss %.4f  cls %.4f  sal %.4f  lr %.6f  %.1f img/s  eta ",
                done, total, mean.cls + mean.sal, mean.cls, mean.sal, lr, rate) + eta)
        try metrics?.append(
            MetricsRecord(
                step: done, result: result, lr: lr, imagesPerSecond: rate,
                dataSeconds: dataSeconds))
    }
}
