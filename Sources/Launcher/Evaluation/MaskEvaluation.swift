import Data
import Foundation

/// Scores one image's prediction against its ground truth, for `eval` and
/// `infer --gt-dir` alike, refusing what would make the score silently wrong:
/// masks of different sizes, ground-truth values that are neither a class nor
/// 255 (ignore), prediction values that are not a class (unless the caller
/// allows an ignore value in predictions).
struct MaskEvaluation {
    /// Number of classes, background included (VOC 21).
    let numClasses: Int
    /// A prediction value that is skipped like ground truth's 255 (nil: none allowed).
    let predictionIgnore: UInt8?
    static let groundTruthIgnore: UInt8 = 255

    /// Refuses a missing mask naming what it is and the flag that points at
    /// its folder (the PNG reader alone would say "an image not found").
    static func requireMask(_ path: String, _ what: String, flag: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError(path, "\(what) not found; \(flag) needs one <id>.png for every listed image")
        }
    }

    /// Checks and adds one image. `prediction` is the mask as read from (or
    /// written to) `predictionPath`, which only names it in messages.
    func add(
        groundTruthPath: String, prediction: Image8, predictionPath: String, contextPath: String?,
        into matrix: inout ConfusionMatrix, context: inout ContextConfusion
    ) throws {
        try Self.requireMask(groundTruthPath, "ground-truth mask", flag: "--gt-dir")
        if let contextPath { try Self.requireMask(contextPath, "context region map", flag: "--context-dir") }
        let gt = try MaskFiles.read(groundTruthPath)
        guard prediction.width == gt.width, prediction.height == gt.height else {
            throw DataError(
                predictionPath,
                "prediction is \(prediction.width)×\(prediction.height) but its ground truth \(groundTruthPath) is "
                    + "\(gt.width)×\(gt.height); masks must have the image's size")
        }
        try check(gt, path: groundTruthPath, allowed: Self.groundTruthIgnore, what: "ground truth")
        try check(prediction, path: predictionPath, allowed: predictionIgnore, what: "prediction")
        // Every read and check first: a failing image adds nothing to the matrices.
        let region = try contextPath.map { path in
            let region = try MaskFiles.read(path, size: (gt.width, gt.height))
            if let bad = region.pixels.firstIndex(where: { Int($0) >= context.regionNames.count }) {
                throw DataError(
                    path,
                    "region value \(region.pixels[bad]) is not one of the \(context.regionNames.count) regions "
                        + "(\(context.regionNames.joined(separator: ", "))); check names.txt of the context folder")
            }
            return region
        }
        matrix.add(groundTruth: gt.pixels, prediction: prediction.pixels)
        if let region { context.add(groundTruth: gt.pixels, prediction: prediction.pixels, region: region.pixels) }
    }

    /// Every value is a class index or the allowed ignore value.
    func check(_ mask: Image8, path: String, allowed: UInt8?, what: String) throws {
        guard let bad = mask.pixels.firstIndex(where: { Int($0) >= numClasses && $0 != allowed }) else { return }
        let value = mask.pixels[bad]
        let ignore = allowed.map { " or \($0) (ignore)" } ?? ""
        throw DataError(
            path,
            "\(what) value \(value) at (x \(bad % mask.width), y \(bad / mask.width)) is not a class 0…\(numClasses - 1)"
                + "\(ignore); is this mask for this dataset's classes?")
    }

    /// An evaluation that scored no pixel has no mIoU.
    static func requireScored(_ matrix: ConfusionMatrix, images: Int) throws {
        guard matrix.total > 0 else {
            throw UsageError(
                "no pixel was evaluated over \(images) image(s): every ground-truth pixel is 255 (ignore); "
                    + "check --gt-dir")
        }
    }
}
