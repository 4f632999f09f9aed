import Foundation

/// One line of RUN_DIR/metrics.jsonl (keys in snake_case, sorted): the means
/// over the `window` steps since the previous line, as the log line prints
/// them. The TensorBoard event file holds the same values (`scalars`).
struct MetricsRecord: Codable, Equatable {
    var step: Int
    /// How many steps the means cover (the steps after the previous record, up to `step`).
    var window: Int
    /// Mean losses of the window (each step's averaged over the ranks); the
    /// parts only for EPS / CAM training (nil for segmentation).
    var loss: Double
    var lossCls: Double?
    var lossSal: Double?
    /// The learning rate of step `step` (not a mean).
    var lr: Double
    /// Images per second over the window's wall-clock time.
    var imagesPerS: Double
    var time: Times
    /// Wall-clock seconds since the run started; a resumed run continues from
    /// the time saved in its checkpoint (the time between two sessions not counted).
    var elapsedS: Double
    /// When the record was made: ISO 8601, UTC, milliseconds.
    var timestamp: String

    /// Mean seconds per step of the window: loading the batch, forward,
    /// backward, exposed gradient averaging, optimizer update.
    struct Times: Codable, Equatable {
        var data: Double, forward: Double, backward: Double, allreduce: Double, step: Double
    }

    /// The TensorBoard scalars of this record (tags: docs/ARCHITECTURE.md, "Files").
    var scalars: [TensorBoardEvents.Scalar] {
        [.init("loss/total", Float(loss))] + (lossCls.map { [.init("loss/cls", Float($0))] } ?? [])
            + (lossSal.map { [.init("loss/sal", Float($0))] } ?? []) + [
                .init("lr", Float(lr)), .init("images_per_s", Float(imagesPerS)), .init("time/data", Float(time.data)),
                .init("time/forward", Float(time.forward)), .init("time/backward", Float(time.backward)),
                .init("time/allreduce", Float(time.allreduce)), .init("time/step", Float(time.step)),
            ]
    }

    /// The log line of this record (rank 0's console and logs/rank-N.log).
    func logLine(lastStep: Int, eta: String) -> String {
        let parts = lossCls.map { String(format: "  cls %.4f  sal %.4f", $0, lossSal ?? 0) } ?? ""
        return String(format: "step %6d/%d  loss %.4f", step, lastStep, loss) + parts
            + String(format: "  lr %.6f  %.1f img/s  eta ", lr, imagesPerS) + eta
    }

    static func timestamp(_ date: Date) -> String { timestampFormat.string(from: date) }

    private static let timestampFormat: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f
    }()

    static let encoder = SnakeCaseJSON.compact
}
