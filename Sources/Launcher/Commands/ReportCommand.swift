import ArgumentParser
import Data
import Distributed
import Foundation
import Support

/// `eps-dist report`: one self-contained HTML page of a run — training
/// curves, and with the masks their scores, the sweep, the context confusion
/// and a gallery (Sources/Launcher/Report, docs/ARCHITECTURE.md).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "One self-contained HTML file of a run: training curves; with --masks per-class scores, the context "
            + "confusion and a gallery; with --sweep the threshold curve. Works offline (no script, no network).")

    @Option(name: .customLong("run"), help: "Run directory of eps-dist train (config.yaml, metrics.jsonl).")
    var runDirectory: String
    @Option(help: "Masks folder of infer --cam-png: scores, context confusion, gallery and provenance.")
    var masks: String?
    @Option(help: "JSON of eps-dist sweep --json: the threshold curve.") var sweep: String?
    @Option(help: "Where to write the HTML file.") var out: String
    @Option(help: "Dataset root (default: data_root of the run's config.yaml).") var dataRoot: String?
    @Option(help: "Image folder (default: img_dir of config.yaml, else the dataset's usual one).") var imgDir: String?
    @Option(help: "Ground-truth folder (default: DATA_ROOT/SegmentationClassAug, else DATA_ROOT/SegmentationClass).")
    var gtDir: String?
    @Option(help: "Saliency folder (default: saliency_root of config.yaml; none: no saliency in the gallery).")
    var saliencyRoot: String?
    @Option(help: "Context region masks (default: DATA_ROOT/context when it exists).") var contextDir: String?
    @Option(help: "CAM maps of infer --cam-npy (either format): a heat map per labelled class in the gallery.")
    var cams: String?
    @Option(help: "Ids of the masks to score and show (default: those of the masks' manifest.json).") var list: String?
    @Option(help: "Images in each gallery group: worst, best, random (6).") var gallery: Int = 6
    @Option(help: "Seed of the gallery's random group (0).") var seed: UInt64 = 0

    func validate() throws {
        try OutputFile.requireReplaceable(out, flag: "--out", kind: .html)
        guard (0...100).contains(gallery) else { throw UsageError("--gallery must lie in 0…100, not \(gallery)") }
        let needMasks = [
            ("--data-root", dataRoot), ("--img-dir", imgDir), ("--gt-dir", gtDir), ("--saliency-root", saliencyRoot),
            ("--context-dir", contextDir), ("--cams", cams), ("--list", list),
        ].filter { $0.1 != nil }.map(\.0)
        if masks == nil && !needMasks.isEmpty {
            throw UsageError(
                "\(needMasks.joined(separator: ", ")) go(es) with --masks (the masks they are used to show)")
        }
    }

    func run() throws {
        RankDiscipline.run(SingleProcessCommunicator()) {
            let inputs = try ReportInputs(
                .init(
                    run: runDirectory, masks: masks, dataRoot: dataRoot, imgDir: imgDir, gtDir: gtDir,
                    saliencyRoot: saliencyRoot, contextDir: contextDir, cams: cams, list: list))
            let html = try ReportBuilder(inputs: inputs, sweep: sweep, gallery: gallery, seed: seed).html()
            try AtomicFile.write(Data(html.utf8), to: out)
            print(String(format: "wrote %@ (%.1f MB)", out, Double(html.utf8.count) / 1_048_576))
        }
    }
}
