import Foundation
import Support

/// The reference's evaluation (evaluate_png.py): one confusion matrix
/// hist[gt, pred] over the whole list; pixels with gt or pred ≥ n (255 =
/// ignore) are dropped. IoU_c = tp/(row + col − tp); mIoU = mean over the
/// classes present in ground truth or prediction (nanmean), background
/// included; precision tp/col, recall tp/row; pixel accuracy trace/total.
public struct ConfusionMatrix: Equatable {
    public let numClasses: Int
    public var counts: [Double]  // [gt * n + pred]

    public init(numClasses: Int) {
        self.numClasses = numClasses
        counts = [Double](repeating: 0, count: numClasses * numClasses)
    }

    public mutating func add(groundTruth: [UInt8], prediction: [UInt8]) {
        precondition(groundTruth.count == prediction.count)
        let n = numClasses
        for i in 0..<groundTruth.count {
            let g = Int(groundTruth[i])
            let p = Int(prediction[i])
            if g < n && p < n { counts[g * n + p] += 1 }
        }
    }

    public mutating func merge(_ other: ConfusionMatrix) {
        for i in 0..<counts.count { counts[i] += other.counts[i] }
    }

    func row(_ c: Int) -> Double { (0..<numClasses).reduce(0) { $0 + counts[c * numClasses + $1] } }
    func column(_ c: Int) -> Double { (0..<numClasses).reduce(0) { $0 + counts[$1 * numClasses + c] } }
    func tp(_ c: Int) -> Double { counts[c * numClasses + c] }

    /// NaN where the class is absent from both ground truth and prediction.
    public var iou: [Double] { (0..<numClasses).map { tp($0) / (row($0) + column($0) - tp($0)) } }
    public var precision: [Double] { (0..<numClasses).map { tp($0) / column($0) } }
    public var recall: [Double] { (0..<numClasses).map { tp($0) / row($0) } }
    public var total: Double { counts.reduce(0, +) }
    public var pixelAccuracy: Double { (0..<numClasses).reduce(0) { $0 + tp($1) } / total }
    public var meanIoU: Double { Self.nanMean(iou) }

    /// The mIoU an all-background prediction would get on the same ground
    /// truth: background IoU = its share of the pixels, every other class
    /// present in the ground truth 0. The floor a useful mask must beat.
    public var allBackgroundMeanIoU: Double {
        let present = (0..<numClasses).filter { row($0) > 0 }.count
        return present == 0 ? .nan : (row(0) / total) / Double(present)
    }

    static func nanMean(_ v: [Double]) -> Double {
        let valid = v.filter { !$0.isNaN }
        return valid.isEmpty ? .nan : valid.reduce(0, +) / Double(valid.count)
    }
}

/// The context-confusion ratio of the paper's railroad/train analysis: for
/// class c and context region k, pixels of region k predicted as c over the
/// pixels of c predicted correctly.
public struct ContextConfusion {
    public let numClasses: Int
    public let regionNames: [String]
    public var regionAsClass: [Double]  // [region * C + class]
    public var truePositives: [Double]  // [class]

    public init(numClasses: Int, regionNames: [String]) {
        self.numClasses = numClasses
        self.regionNames = regionNames
        regionAsClass = [Double](repeating: 0, count: regionNames.count * numClasses)
        truePositives = [Double](repeating: 0, count: numClasses)
    }

    /// region: 0 = no context, k ≥ 1 = region k.
    public mutating func add(groundTruth: [UInt8], prediction: [UInt8], region: [UInt8]) {
        for i in 0..<prediction.count {
            let p = Int(prediction[i])
            let g = Int(groundTruth[i])
            let r = Int(region[i])
            guard p < numClasses else { continue }
            if g == p { truePositives[p] += 1 }
            if r > 0 && r < regionNames.count { regionAsClass[r * numClasses + p] += 1 }
        }
    }

    public func ratio(region: Int, classIndex c: Int) -> Double {
        regionAsClass[region * numClasses + c] / truePositives[c]
    }

    /// Region names from `<dir>/names.txt` (`index name` per line, in any order; synth writes
    /// it), or generic ones. Name k is region value k; an index not listed is "regionK".
    public static func regionNames(contextDir dir: String) throws -> [String] {
        let generic = ["none", "region1", "region2", "region3"]
        let path = "\(dir)/names.txt"
        guard FileManager.default.fileExists(atPath: path) else { return generic }
        let text = try InputFile.text(path, what: "the region names of the context folder")
        var byIndex: [Int: String] = [:]
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let index = Int(parts[0]), (0...255).contains(index), byIndex[index] == nil else {
                throw UsageError(
                    "\(path):\(n + 1): expected `index name` with an index 0…255 not given before, got '\(line)'")
            }
            byIndex[index] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        guard let last = byIndex.keys.max(), last >= 1 else { return generic }
        return (0...last).map { byIndex[$0] ?? "region\($0)" }
    }
}
