import Foundation

/// The steps since the last log line: sums of their losses and step times
/// and the wall-clock time the window began, so that the log line and the
/// metrics record report the same means over the same steps.
struct StepWindow {
    private(set) var count = 0
    private var loss = 0.0, cls = 0.0, sal = 0.0
    private var data = 0.0, forward = 0.0, backward = 0.0, allreduce = 0.0, optimizer = 0.0
    /// When the first step of the window began (the end of the last logged step).
    private(set) var began: Date

    init(began: Date) { self.began = began }

    mutating func add(_ result: StepResult, dataSeconds: Double) {
        count += 1
        loss += result.loss
        cls += result.lossCls
        sal += result.lossSal
        data += dataSeconds
        forward += result.times.forward
        backward += result.times.backward
        allreduce += result.times.allreduce
        optimizer += result.times.optimizer
    }

    /// The window's means as the metrics record of step `step`; images per
    /// second over the window's wall-clock time (loading, checkpoints and
    /// logging included). `lr` is the learning rate of the step itself.
    /// Without `lossParts` (segmentation: one cross-entropy) the record has no cls and sal.
    func record(
        step: Int, lr: Float, imagesPerStep: Int, now: Date, elapsed: Double, lossParts: Bool = true
    ) -> MetricsRecord {
        let n = Double(max(count, 1))
        return MetricsRecord(
            step: step, window: count, loss: loss / n, lossCls: lossParts ? cls / n : nil,
            lossSal: lossParts ? sal / n : nil, lr: Double(lr),
            imagesPerS: Double(count * imagesPerStep) / max(now.timeIntervalSince(began), 1e-9),
            time: .init(
                data: data / n, forward: forward / n, backward: backward / n, allreduce: allreduce / n,
                step: optimizer / n),
            elapsedS: elapsed, timestamp: MetricsRecord.timestamp(now))
    }
}
