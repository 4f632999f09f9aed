import Data
import Foundation
import Support

/// The JSON of `eps-dist sweep --json`: mIoU at every background threshold
/// and the best one. Read for the report's sweep curve.
struct SweepResult {
    var thresholds: [Double]
    /// Fractions, NaN where the sweep wrote null.
    var miou: [Double]
    var bestThreshold: Double?
    var bestMIoU: Double?

    static func read(_ path: String) throws -> SweepResult {
        let data = try InputFile.read(path, what: "the sweep JSON (--sweep)")
        func bad(_ why: String) -> DataError {
            DataError(path, "\(why); --sweep takes the file written by eps-dist sweep --json")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw bad("not a JSON object")
        }
        guard let rows = object["thresholds"] as? [[String: Any]], !rows.isEmpty else {
            throw bad("no \"thresholds\" list")
        }
        var result = SweepResult(thresholds: [], miou: [], bestThreshold: nil, bestMIoU: nil)
        for (i, row) in rows.enumerated() {
            guard let thr = TrainingMetrics.number(row["thr"]), thr.isFinite else {
                throw bad("thresholds entry \(i + 1) has no numeric \"thr\"")
            }
            result.thresholds.append(thr)
            result.miou.append(TrainingMetrics.number(row["miou"]) ?? .nan)
        }
        result.bestThreshold = TrainingMetrics.number(object["best_thr"])
        result.bestMIoU = TrainingMetrics.number(object["best_miou"])
        return result
    }
}
