import ArgumentParser
import Data
import Engine
import Foundation

/// The flags of `eps-dist seg-infer`.
public struct SegInferOptions: ParsableArguments {
    public init() {}
    @Option(help: "A seg-train checkpoint (.safetensors), or a deeplab-pytorch MSC checkpoint (.pth).") var weights:
        String
    @Option(help: "Network: \(SegArchitecture.helpList) (default: the one recorded in the checkpoint).") var arch:
        SegArchitecture?
    @Option(help: "Divide every width by D (default: as recorded in the checkpoint, else 1).") var widthDivisor: Int?
    @Option(help: "Dataset layout and classes: \(DatasetKind.namesText).") var dataset: DatasetKind = .voc
    @Option(help: "One's own classes, one name per line, no background line (default: the dataset's).")
    var classNames: String?
    @Option(help: "Dataset root.") var dataRoot: String
    @Option(help: "Image ids to segment, one per line (VOC: val.txt).") var inferList: String
    @Option(help: "Image folder (default: the dataset's usual one).") var imgDir: String?
    @Option(help: "Output folder of masks <id>.png (grey class indices).") var out: String
    @Option(help: "Also write VOC-palette masks for viewing.") var colorPng: String?
    @Option(
        parsing: .upToNextOption,
        help: """
            Test-time scales, each run through the network's own multi-scale max (1, 0.75, 0.5) and their class \
            probabilities averaged (1.0: deeplab-pytorch's evaluation).
            """)
    var scales: [Float] = [1.0]
    @Flag(help: "Also average the horizontally flipped image (not in deeplab-pytorch's evaluation).") var flip = false
    @Flag(
        name: .customLong("crf"),
        help: """
            Refine with the dense CRF on the class probabilities and the RGB image (deeplab-pytorch's `main.py crf` \
            with --crf-params deeplab, the default here).
            """)
    var useCRF = false
    @OptionGroup var crf: CRFOptions
    @Option(help: "Ground-truth folder: score the masks (report.json in --out).") var gtDir: String?
    @Option(help: "Compute threads per rank.") var threads: Int?
    @Option(help: "3×3 stride-1 convolutions: auto (Winograd where it pays), gemm or winograd.")
    var convAlgorithm: ConvAlgorithm = .auto
    @Option(help: "Seconds between progress lines and manifest.json updates.") var progressEvery: Double = 30
    @Option(
        help: """
            Largest input, in pixels, at the largest scale (\(InferOptions.defaultMaxPixels)). A larger image fails \
            alone, the rest go on.
            """)
    var maxPixels: Int = InferOptions.defaultMaxPixels
    @Flag(help: "Redo every output in the folders, whatever settings made them.") var overwrite = false

    public func validate() throws {
        guard !scales.isEmpty, scales.allSatisfy({ $0.isFinite && $0 > 0 && $0 <= 4 }) else {
            throw UsageError("--scales needs values in (0, 4], not \(scales)")
        }
        if let widthDivisor, widthDivisor < 1 {
            throw UsageError("--width-divisor must be >= 1, not \(widthDivisor)")
        }
        guard threads.map({ $0 >= 1 }) ?? true else { throw UsageError("--threads must be >= 1") }
        guard progressEvery.isFinite, progressEvery >= 0 else {
            throw UsageError("--progress-every must be a number of seconds >= 0, not \(progressEvery)")
        }
        guard maxPixels >= 1 else { throw UsageError("--max-pixels must be >= 1, not \(maxPixels)") }
        _ = try crfSummary()
        let inputs = [("--gt-dir", gtDir), ("--img-dir", imgDir), ("--data-root JPEGImages", "\(dataRoot)/JPEGImages")]
        try OutputFolder.refuseInputs(out, flag: "--out", inputs: inputs)
        if let colorPng {
            try OutputFolder.refuseInputs(colorPng, flag: "--color-png", inputs: inputs + [("--out", out)])
        }
    }

    /// The CRF's settings as the provenance records them ("none" without --crf).
    func crfSummary() throws -> String {
        useCRF ? try crf.resolved(defaultSet: "deeplab").summary : "none"
    }
}
