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
    @Option(parsing: .upToNextOption, help: "Thresholds START STOP STEP, STOP included (0.05 0.60 0.05).")
    var thrRange: [Float] = [0.05, 0.60, 0.05]
    @Option(help: "Write every threshold's scores as JSON.") var json: String?
    @Option(help: "Dataset (class names and count): \(DatasetKind.namesText).") var dataset: DatasetKind = .voc
    @Option(help: "One's own classes: a file of one class name per line, no background line (default: the dataset's).")
    var classNames: String?

    func run() throws {
        let comm = Communicators.make()
        RankDiscipline.run(comm) {
            guard thrRange.count == 3 else {
                throw UsageError("--thr-range takes three numbers START STOP STEP, not \(thrRange.count)")
            }
            let thresholds = try ThresholdSweep.range(start: thrRange[0], stop: thrRange[1], step: thrRange[2])
            let names = ["background"] + (try ClassNames.resolve(kind: dataset, file: classNames))
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
            // Every rank holds the merged counts: all refuse an unscored sweep alike.
            try MaskEvaluation.requireScored(merged.matrices[0], images: ids.count)
            try RankDiscipline.onRoot(comm) {
                try report(merged, names: names, images: ids.count, ranks: comm.size, started: started)
            }
        }
    }

    /// Rank 0's table, best threshold, per-class scores and JSON.
    func report(_ merged: ThresholdSweep, names: [String], images: Int, ranks: Int, started: Date) throws {
        print(merged.table)
        let best = merged.best
        print(
            String(
                format: "best threshold %.3f: mIoU %.2f (%d images, %d thresholds, %.1fs on %d rank(s))",
                best.threshold, best.matrix.meanIoU * 100, images, merged.thresholds.count,
                Date().timeIntervalSince(started), ranks))
        print(EvalReport.table(best.matrix, classNames: names))
        guard let json else { return }
        // The thresholds as written on the command line's grid, not float32's nearest binary value.
        func clean(_ t: Float) -> Double { (Double(t) * 10_000).rounded() / 10_000 }
        let rows: [[String: Any]] = zip(merged.thresholds, merged.matrices).map { t, m in
            var row = EvalReport.json(m, classNames: names, numImages: images)
            row["thr"] = clean(t)
            return row
        }
        let bestMIoU = best.matrix.meanIoU
        try EvalReport.writeJSON(
            [
                "thresholds": rows, "best_thr": clean(best.threshold),
                "best_miou": bestMIoU.isFinite ? bestMIoU : NSNull(),
            ],
            to: json)
    }

    /// Reads one image's maps and ground truth, checks they fit, adds them.
    func add(_ id: String, to sweep: inout ThresholdSweep, classes: Int) throws {
        let path = "\(camDir)/\(id).npy"
        let bytes = [UInt8](try InputFile.read(path, what: "the saved maps (--cam-dir)"))
        let npy: NumpyFile
        do { npy = try NumpyFile.parse(bytes) } catch {
            throw DataError(path, "not a readable .npy file (\(error)); write the maps with eps-dist infer --cam-npy")
        }
        let gtPath = "\(gtDir)/\(id).png"
        let gt = try MaskFiles.read(gtPath)
        try MaskEvaluation(numClasses: classes + 1, predictionIgnore: nil).check(
            gt, path: gtPath, allowed: MaskEvaluation.groundTruthIgnore, what: "ground truth")
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
