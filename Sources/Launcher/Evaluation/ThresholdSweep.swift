import Foundation

/// Evaluates every background threshold of a sweep in one pass over saved
/// maps: one confusion matrix per threshold. The mask rule is infer's
/// (CAMFusion.mask): a pixel takes the class of its highest max-normalised map
/// when that score exceeds the threshold, else background; maps of classes
/// absent from the image are zero, so they never win.
public struct ThresholdSweep {
    public let thresholds: [Float]
    public private(set) var matrices: [ConfusionMatrix]

    public init(thresholds: [Float], numClasses: Int) {
        self.thresholds = thresholds
        matrices = thresholds.map { _ in ConfusionMatrix(numClasses: numClasses) }
    }

    /// The sweep of the matrices' counts laid end to end (an allreduce's result).
    public init(thresholds: [Float], numClasses: Int, counts: [Double]) {
        self.init(thresholds: thresholds, numClasses: numClasses)
        let size = numClasses * numClasses
        precondition(counts.count == size * thresholds.count)
        for t in 0..<thresholds.count { matrices[t].counts = Array(counts[(t * size)..<((t + 1) * size)]) }
    }

    /// `start`, `start + step`, … up to `stop` (included when within 1e-4 of a step), rounded to 1e-4.
    public static func range(start: Float, stop: Float, step: Float) throws -> [Float] {
        guard start.isFinite, stop.isFinite, step.isFinite, step > 0, start >= 0, stop <= 1, start <= stop else {
            throw UsageError(
                "--thr-range takes START STOP STEP with 0 <= START <= STOP <= 1 and STEP > 0, not \(start) \(stop) \(step)"
            )
        }
        let count = Int(((stop - start) / step + 1e-4).rounded(.down)) + 1
        guard count <= 1000 else { throw UsageError("--thr-range gives \(count) thresholds; at most 1000") }
        return (0..<count).map { ((start + Float($0) * step) * 10_000).rounded() / 10_000 }
    }

    /// Adds one image. maps: [C, H, W] row-major, max-normalised; groundTruth:
    /// H·W class indices (values ≥ the class count, e.g. 255, are ignored).
    public mutating func add(maps: UnsafeBufferPointer<Float>, classes: Int, groundTruth: [UInt8]) {
        let plane = groundTruth.count
        precondition(maps.count == classes * plane)
        let n = matrices[0].numClasses
        // Per pixel: the best class and its score once; each threshold then only compares.
        var counts = matrices.map { $0.counts }
        for i in 0..<plane {
            let g = Int(groundTruth[i])
            guard g < n else { continue }
            var best: Float = 0
            var bestClass = 0
            for c in 0..<classes where maps[c * plane + i] > best {
                best = maps[c * plane + i]
                bestClass = c + 1
            }
            for t in 0..<thresholds.count {
                let p = best > thresholds[t] ? bestClass : 0
                counts[t][g * n + p] += 1
            }
        }
        for t in 0..<matrices.count { matrices[t].counts = counts[t] }
    }

    /// The threshold of the highest mIoU (the lowest threshold on a tie; NaN never wins).
    public var best: (threshold: Float, matrix: ConfusionMatrix) {
        var index = 0
        for t in 1..<matrices.count where matrices[t].meanIoU > matrices[index].meanIoU || matrices[index].meanIoU.isNaN
        {
            index = t
        }
        return (thresholds[index], matrices[index])
    }

    /// One line per threshold: mIoU, mean precision, mean recall (percent).
    public var table: String {
        var lines = ["   thr    mIoU    Prec  Recall"]
        let bestThreshold = best.threshold
        for (t, m) in zip(thresholds, matrices) {
            let cells = [m.meanIoU, ConfusionMatrix.nanMean(m.precision), ConfusionMatrix.nanMean(m.recall)]
            lines.append(
                String(format: "%6.3f ", t) + cells.map(EvalReport.percentCell).joined(separator: " ")
                    + (t == bestThreshold ? "  <- best" : ""))
        }
        return lines.joined(separator: "\n")
    }

    /// One CSV row per threshold: thr, mIoU, mean precision, mean recall, then each class's IoU (fractions).
    public func csv(classNames: [String]) -> String {
        func cell(_ v: Double) -> String { v.isFinite ? String(format: "%.6f", v) : "" }
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var lines = [
            (["thr", "miou", "precision", "recall"] + classNames.map { quoted("iou_" + $0) }).joined(separator: ",")
        ]
        for (t, m) in zip(thresholds, matrices) {
            let row =
                [
                    String(format: "%.4f", t), cell(m.meanIoU), cell(ConfusionMatrix.nanMean(m.precision)),
                    cell(ConfusionMatrix.nanMean(m.recall)),
                ] + m.iou.map(cell)
            lines.append(row.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
