import Foundation
import Support

/// Formats a confusion matrix as the reference's table and the evaluation JSON of docs/ARCHITECTURE.md, "Files".
public enum EvalReport {
    public static func table(_ m: ConfusionMatrix, classNames: [String]) -> String {
        let pct = percentCell
        func row(_ idx: String, _ name: String, _ cells: [String]) -> String {
            pad(idx, 4) + " " + pad(String(name.prefix(12)), 12) + " " + cells.joined(separator: " ")
        }
        var lines = [row("IDX", "Name", ["    IoU", "   Prec", " Recall"])]
        lines.append(row("", "mean", [pct(m.meanIoU), pct(nanMean(m.precision)), pct(nanMean(m.recall))]))
        let (iou, prec, rec) = (m.iou, m.precision, m.recall)
        for c in 0..<m.numClasses where !iou[c].isNaN {
            lines.append(row("\(c)", classNames[c], [pct(iou[c]), pct(prec[c]), pct(rec[c])]))
        }
        if (prec + rec).contains(where: { !$0.isFinite }) {
            lines.append("(– : undefined, no pixel predicted as that class)")
        }
        lines.append(String(format: "pixel accuracy %.2f  (%.0f pixels)", m.pixelAccuracy * 100, m.total))
        lines.append(
            String(
                format: "mIoU %.2f  (an all-background mask would score %.2f)", m.meanIoU * 100,
                m.allBackgroundMeanIoU * 100))
        return lines.joined(separator: "\n")
    }

    static func nanMean(_ v: [Double]) -> Double { ConfusionMatrix.nanMean(v) }

    /// A fraction as a 7-wide percent cell; "–" where it is undefined (a
    /// class nothing was predicted as has no precision): no table prints NaN.
    static func percentCell(_ v: Double) -> String { v.isFinite ? String(format: "%7.2f", v * 100) : "      –" }

    /// Left-aligned in a field of `width` characters.
    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    public static func json(
        _ m: ConfusionMatrix, classNames: [String], numImages: Int,
        context: ContextConfusion? = nil
    ) -> [String: Any] {
        func finite(_ x: Double) -> Any { x.isFinite ? x : NSNull() }  // JSON has no NaN
        func clean(_ v: [Double]) -> [Any] { v.map(finite) }
        var out: [String: Any] = [
            "miou": finite(m.meanIoU), "iou": clean(m.iou), "precision": clean(m.precision),
            "recall": clean(m.recall), "pixel_accuracy": finite(m.pixelAccuracy), "num_images": numImages,
            "classes": classNames,
            "miou_all_background": finite(m.allBackgroundMeanIoU),
            "confusion": m.counts,
        ]
        if let context {
            var ratios: [String: Any] = [:]
            for r in 1..<context.regionNames.count {
                var perClass: [String: Any] = [:]
                for c in 1..<context.numClasses
                where context.truePositives[c] > 0 || context.regionAsClass[r * context.numClasses + c] > 0 {
                    let ratio = context.ratio(region: r, classIndex: c)
                    perClass[classNames[c]] = ratio.isFinite ? ratio : NSNull()  // no true positive: undefined
                }
                ratios[context.regionNames[r]] = perClass
            }
            out["context_confusion"] = ratios
        }
        return out
    }

    public static func contextTable(_ context: ContextConfusion, classNames: [String]) -> String {
        var lines = ["context confusion (pixels of region predicted as class / true positives of class):"]
        for r in 1..<context.regionNames.count {
            for c in 1..<context.numClasses
            where context.regionAsClass[r * context.numClasses + c] > 0 || context.truePositives[c] > 0 {
                let v = context.ratio(region: r, classIndex: c)
                if context.regionAsClass[r * context.numClasses + c] > 0 {
                    lines.append(
                        "  " + pad(context.regionNames[r], 8) + " as " + pad(classNames[c], 12)
                            + (v.isFinite ? String(format: " %.4f", v) : " n/a (no true positive of the class)"))
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    public static func writeJSON(_ object: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data, to: path)
    }
}
