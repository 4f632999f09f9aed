import Foundation

/// One line of RUN_DIR/metrics.jsonl (keys in snake_case, sorted).
struct MetricsRecord: Encodable {
    var step: Int
    /// The losses of this step, averaged over the ranks.
    var loss: Double
    var lossCls: Double
    var lossSal: Double
    var lr: Double
    var imagesPerS: Double
    var time: Times

    /// Seconds of this step: loading the batch, forward, backward, exposed
    /// gradient averaging, optimizer update.
    struct Times: Encodable {
        var data: Double, forward: Double, backward: Double, allreduce: Double, step: Double
    }

    init(step: Int, result: StepResult, lr: Float, imagesPerSecond: Double, dataSeconds: Double) {
        self.step = step
        loss = result.loss
        lossCls = result.lossCls
        lossSal = result.lossSal
        self.lr = Double(lr)
        imagesPerS = imagesPerSecond
        time = Times(
            data: dataSeconds, forward: result.times.forward, backward: result.times.backward,
            allreduce: result.times.allreduce, step: result.times.optimizer)
    }

    static let encoder = SnakeCaseJSON.compact
}
