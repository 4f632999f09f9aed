import ArgumentParser
import Data
import DenseCRF
import Engine
import Foundation

public struct InferOptions: ParsableArguments {
    public init() {}
    @Option(help: "Weights: an eps-dist checkpoint (.safetensors), a PyTorch state dict (.pth) or MXNet .params.")
    var weights: String
    @Option(help: "Backbone: \(Architecture.helpList) (default: the one recorded in the checkpoint, else resnet38).")
    var arch: Architecture?
    @Option(help: "Method: \(Method.helpList) (default: as recorded in the checkpoint, else eps).") var method: Method?
    @Option(help: "Dataset layout: \(DatasetKind.namesText).") var dataset: DatasetKind = .voc
    @Option(help: "One's own classes: a file of one class name per line, no background line (default: the dataset's).")
    var classNames: String?
    @Option(help: "Dataset root.") var dataRoot: String
    @Option(help: "Image ids to process, one per line.") var inferList: String
    @Option(help: "Image-level labels (default: VOC Annotations/*.xml).") var labels: String?
    @Option(help: "Image folder (default: the dataset's usual one).") var imgDir: String?
    @Option(
        parsing: .upToNextOption,
        help: """
            Scales of the multi-scale inference (default: the reference's 0.5 1.0 1.5 2.0, times the checkpoint's \
            mean training long side over the reference's 384, so a net trained on downsized images sees its \
            training scale).
            """)
    var scales: [Float] = []
    @Option(help: "Background score (0.20).") var thr: Float = 0.20
    @Option(help: "Output folder of pseudo-masks <id>.png (grey class indices).") var camPng: String
    @Option(
        help: """
            Also write the max-normalised maps <id>.npy as the official infer.py does: a pickled dict {0-based class \
            index: H×W float32} of the image's classes (np.load(p, allow_pickle=True).item()).
            """)
    var camNpy: String?
    @Option(
        help: "Format of --cam-npy: \(CAMFileFormat.helpList) (dense: one float32 C×H×W array, every class).")
    var camNpyFormat: CAMFileFormat = .dict
    @Option(help: "Also write VOC-palette masks for viewing.") var colorPng: String?
    @Flag(
        name: .customLong("crf"),
        help: """
            Refine the masks with the dense CRF (--crf-params and overrides; the maps of --cam-npy stay the CAMs). \
            The CRF's background score is --thr, or (1 − max class score)^A with --bg-alpha A.
            """)
    var useCRF = false
    @OptionGroup var crf: CRFOptions
    @Option(help: "With --crf: background score (1 − max class score)^A, as psa and EPS's CRF branch (4, 32).")
    var bgAlpha: Float?
    @Option(help: "Ground-truth folder: evaluate the masks (report in --cam-png).") var gtDir: String?
    @Option(help: "Context region masks <id>.png for the confusion ratio (with --gt-dir).") var contextDir: String?
    @Option(help: "Compute threads per rank.") var threads: Int?
    @Option(help: "3×3 stride-1 convolutions: auto (Winograd where it pays), gemm or winograd.")
    var convAlgorithm: ConvAlgorithm = .auto
    @Option(
        help:
            "Seconds between progress lines (images done, rate, time left) of every rank, and manifest.json updates."
    )
    var progressEvery: Double = 30
    @Option(
        help: """
            Largest input, in pixels, of an image at its largest scale (\(InferOptions.defaultMaxPixels): VOC and COCO \
            at scale 2 fit; ResNet-38 needs about 6 GB per million). A larger image fails alone, the rest go on.
            """)
    var maxPixels: Int = InferOptions.defaultMaxPixels
    @Flag(
        help:
            "Redo every output in the folders, whatever settings made them (else a re-run reuses only outputs made with the same settings, and refuses folders made with others)."
    )
    var overwrite = false
    @Option(help: "Divide every layer's width by D (small test networks; 1 = the real network).") var widthDivisor:
        Int = 1

    /// The reference's scales, made for its training long side of 256–512 (mean 384).
    public static let referenceScales: [Float] = [0.5, 1.0, 1.5, 2.0]
    static let referenceTrainingSide: Float = 384

    /// The reference's scales times `mean training long side / 384`, rounded to 0.01.
    public static func defaultScales(trainingResize: [Int]?) -> [Float] {
        guard let r = trainingResize, r.count == 2 else { return referenceScales }
        let factor = Float(r[0] + r[1]) / 2 / referenceTrainingSide
        return referenceScales.map { (($0 * factor) * 100).rounded() / 100 }
    }

    /// Every range check of the infer flags, naming the flag (ArgumentParser calls it after parsing).
    public func validate() throws {
        guard scales.allSatisfy({ $0.isFinite && $0 > 0 && $0 <= 8 }) else {
            throw UsageError("--scales needs values in (0, 8], not \(scales)")
        }
        guard thr.isFinite, (0...1).contains(thr) else {
            throw UsageError("--thr (the background score) must lie in [0, 1], not \(thr)")
        }
        if bgAlpha != nil && !useCRF { throw UsageError("--bg-alpha is the CRF's background: give it with --crf") }
        _ = try crfBackground()
        guard threads.map({ $0 >= 1 }) ?? true else { throw UsageError("--threads must be >= 1") }
        guard progressEvery.isFinite, progressEvery >= 0 else {
            throw UsageError("--progress-every must be a number of seconds >= 0, not \(progressEvery)")
        }
        try checkOutputsAreNotInputs()
        guard maxPixels >= 1 else { throw UsageError("--max-pixels must be >= 1, not \(maxPixels)") }
        guard widthDivisor >= 1 else { throw UsageError("--width-divisor must be >= 1, not \(widthDivisor)") }
    }

    /// The CRF's background score: --bg-alpha's power, else the constant --thr.
    func crfBackground() throws -> CRFBackground {
        try CRFOptions.background(alpha: bgAlpha, threshold: thr, flag: "--thr")
    }

    /// The CRF's settings as the provenance records them ("none" without --crf).
    func crfSummary() throws -> String {
        guard useCRF else { return "none" }
        return "\(try crf.resolved().summary), background \(try crfBackground())"
    }

    /// COCO's largest images (640×640) at scale 2 are 1.64 million pixels.
    static let defaultMaxPixels = 2_000_000

    /// Masks written into the ground-truth, context or image folder would
    /// destroy them (with --overwrite), and grey and colour masks into one
    /// folder would overwrite each other.
    func checkOutputsAreNotInputs() throws {
        let real = OutputFolder.canonical
        let inputs =
            [("--gt-dir", gtDir), ("--context-dir", contextDir), ("--img-dir", imgDir)]
            .compactMap { flag, dir in dir.map { (flag, real($0)) } } + [
                ("--data-root JPEGImages", real("\(dataRoot)/JPEGImages"))
            ]
        let pngOutputs = [("--cam-png", camPng), ("--color-png", colorPng)].compactMap { flag, dir in
            dir.map { (flag, real($0)) }
        }
        for (outFlag, out) in pngOutputs + (camNpy.map { [("--cam-npy", real($0))] } ?? []) {
            if let (inFlag, _) = inputs.first(where: { $0.1 == out }) {
                throw UsageError(
                    "\(outFlag) is the \(inFlag) folder (\(out)): masks would overwrite the inputs; choose another \(outFlag)"
                )
            }
        }
        if pngOutputs.count == 2 && pngOutputs[0].1 == pngOutputs[1].1 {
            throw UsageError(
                "--cam-png and --color-png are one folder (\(pngOutputs[0].1)): give them different folders")
        }
    }
}

/// How `infer --cam-npy` stores the maps.
public enum CAMFileFormat: String, CaseIterable, ExpressibleByArgument, Codable {
    /// The field's: a pickled dict {class index: H×W} of the image's classes (`CAMArrays`).
    case dict
    /// One float32 C×H×W array with every class (zero where absent).
    case dense
}
