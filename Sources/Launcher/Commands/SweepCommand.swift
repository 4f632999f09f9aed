import ArgumentParser
import Data
import Distributed
import Foundation
import Support

/// The background-threshold sweep of saved maps (`infer --cam-npy`): every
/// threshold evaluated in one pass over the maps, images sharded over the
/// ranks under mpirun and the confusion matrices summed.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract:
            "mIoU, precision and recall of the pseudo-masks at every background threshold, from the maps saved by "
            + "infer --cam-npy, in one pass.")

    @Option(help: "Folder of <id>.npy maps written by infer --cam-npy (float32 C×H×W, max-normalised).")
    var camDir: String
    @Option(help: "Ground-truth folder of <id>.png (palette or grey indices, 255 = ignore).") var gtDir: String
    @Option(help: "Ids to evaluate, one per line.") var datalist: String
    @Option(parsing: .upToNextOption, help: "Thresholds START STOP STEP (0.05 0.60 0.05).")
    var thrRange: [Float] = [0.05, 0.60, 0.05]
    @Option(help: "Write every threshold's scores as JSON.") var json: String?
    @Option(help: "Dataset (class names and count): \(DatasetKind.helpList).") var dataset: DatasetKind = .voc

    func run() throws {
        let comm = Communicators.make()
        RankDiscipline.run(comm) {
            guard thrRange.count == 3 else {
                throw UsageError("--thr-range takes three numbers START STOP STEP, not \(thrRange.count)")
            }
            let thresholds = try ThresholdSweep.range(start: thrRange[0], stop: thrRange[1], step: thrRange[2])
            let names = ["background"] + (dataset == .voc ? ClassNames.voc : ClassNames.coco)
            let ids = try Dataset.readList(datalist)
            let started = Date()
            var sweep = ThresholdSweep(thresholds: thresholds, numClasses: names.count)
            var problems: [String] = []
            for (i, id) in ids.enumerated() where i % comm.size == comm.rank {
                do { try add(id, to: &sweep, classes: names.count - 1) } catch { problems.append("\(error)") }
            }
            try RankDiscipline.agree(comm, problems: problems, title: "sweep: unusable maps or ground truth")
            var counts = sweep.matrices.flatMap { $0.counts }
            comm.allreduceSum(&counts)
            let merged = ThresholdSweep(thresholds: thresholds, numClasses: names.count, counts: counts)
            guard comm.isRoot else { return }
            try MaskEvaluation.requireScored(merged.matrices[0], images: ids.count)
            print(merged.table)
            let best = merged.best
            print(
                String(
                    format: "best threshold %.3f: mIoU %.2f (%d images, %d thresholds, %.1fs on %d rank(s))",
                    best.threshold, best.matrix.meanIoU * 100, ids.count, thresholds.count,
                    Date().timeIntervalSince(started), comm.size))
            print(EvalReport.table(best.matrix, classNames: names))
            if let json {
                let rows: [[String: Any]] = zip(thresholds, merged.matrices).map { t, m in
                    var row = EvalReport.json(m, classNames: names, numImages: ids.count)
                    row["thr"] = Double(t)
                    return row
                }
                try EvalReport.writeJSON(
                    ["thresholds": rows, "best_thr": Double(best.threshold), "best_miou": best.matrix.meanIoU],
                    to: json)
            }
        }
    }

    /// Reads one image's maps and ground truth, checks they fit, adds them.
    func add(_ id: String, to sweep: inout ThresholdSweep, classes: Int) throws {
        let path = "\(camDir)/\(id).npy"
        let bytes = [UInt8](try InputFile.read(path, what: "the saved maps (--cam-dir)"))
        let npy: NumpyFile
        do { npy = try NumpyFile.parse(bytes) } catch {
            throw DataError(path, "not a readable .npy file (\(error)); write the maps with eps-dist infer --cam-npy")
        }
        let gt = try MaskFiles.read("\(gtDir)/\(id).png")
        guard npy.descr == "<f4", !npy.fortranOrder, npy.shape == [classes, gt.height, gt.width],
            npy.payload.count >= classes * gt.height * gt.width * 4
        else {
            throw DataError(
                path,
                "expected float32 maps of shape (\(classes), \(gt.height), \(gt.width)) like its ground truth, found "
                    + "\(npy.descr) \(npy.shape); write them with eps-dist infer --cam-npy")
        }
        npy.payload.withUnsafeBytes { raw in
            let maps = UnsafeBufferPointer(
                start: raw.baseAddress!.assumingMemoryBound(to: Float.self), count: classes * gt.height * gt.width)
            sweep.add(maps: maps, classes: classes, groundTruth: gt.pixels)
        }
    }
}
