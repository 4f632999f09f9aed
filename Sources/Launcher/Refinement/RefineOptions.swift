import ArgumentParser
import Data
import DenseCRF
import Foundation

/// The flags of `eps-dist refine`.
public struct RefineOptions: ParsableArguments {
    public init() {}

    @Option(
        help: """
            Folder of <id>.npy maps written by infer --cam-npy: the field's dict {class index: H×W} of the image's \
            classes (or eps-dist's dense C×H×W, whose non-zero planes are taken as the image's classes).
            """)
    var camDir: String
    @Option(help: "Image ids to refine, one per line.") var datalist: String
    @Option(help: "Output folder of masks <id>.png (grey: 0 background, c+1 for 0-based class c).") var out: String
    @Option(help: "Dataset (classes and image layout): \(DatasetKind.helpList).") var dataset: DatasetKind = .voc
    @Option(help: "Dataset root (images in its JPEGImages/, or COCO's train2014/ or images/).") var dataRoot: String?
    @Option(help: "Image folder of <id>.jpg (instead of the dataset's).") var imgDir: String?
    @OptionGroup var crf: CRFOptions
    @Option(
        help: """
            Background score (1 − max class score)^A, as psa and the CRF branch of EPS infer.py (psa: 4 and 32). \
            Excludes --bg-thr.
            """)
    var bgAlpha: Float?
    @Option(
        help: """
            Constant background score T, as EPS's masks (default 0.20, infer's --thr: with --crf-iterations 0 \
            refine gives infer's masks). Excludes --bg-alpha.
            """)
    var bgThr: Float?
    @Option(help: "Ground-truth folder: evaluate the masks (report.json in --out).") var gtDir: String?
    @Option(help: "Seconds between progress lines (images done, rate, time left) of every rank.")
    var progressEvery: Double = 30
    @Flag(help: "Redo a folder whose masks were made with other settings (else refused).") var overwrite = false

    /// Infer's default threshold: refine with no iterations reproduces infer's masks.
    static let defaultThreshold: Float = 0.20

    /// --bg-alpha or --bg-thr, default the constant 0.20.
    func background() throws -> CRFBackground {
        if bgAlpha != nil && bgThr != nil { throw UsageError("--bg-alpha and --bg-thr exclude each other: give one") }
        return try CRFOptions.background(alpha: bgAlpha, threshold: bgThr ?? Self.defaultThreshold, flag: "--bg-thr")
    }

    var imageDir: String {
        DatasetConfig(kind: dataset, dataRoot: dataRoot ?? "", listFile: datalist, imageDir: imgDir).resolvedImageDir
    }

    public func validate() throws {
        _ = try background()
        guard dataRoot != nil || imgDir != nil else { throw UsageError("refine needs --data-root or --img-dir") }
        guard progressEvery.isFinite, progressEvery >= 0 else {
            throw UsageError("--progress-every must be a number of seconds >= 0, not \(progressEvery)")
        }
        try OutputFolder.refuseInputs(
            out, flag: "--out", inputs: [("--cam-dir", camDir), ("--gt-dir", gtDir), ("image", imageDir)])
    }
}
