import ArgumentParser
import Data
import Distributed
import Engine
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

    @Option(
        help: """
            Folder of <id>.npy maps written by infer --cam-npy: the field's dict {class index: H×W} (also the \
            official infer.py's) or eps-dist's dense float32 C×H×W; max-normalised.
            """)
    var camDir: String
    @Option(help: "Ground-truth folder of <id>.png (palette or grey indices, 255 = ignore).") var gtDir: String
    @Option(help: "Ids to evaluate, one per line.") var datalist: String
    @Option(parsing: .upToNextOption, help: "Thresholds START STOP STEP, STOP included (0.05 0.60 0.05).")
    var thrRange: [Float] = [0.05, 0.60, 0.05]
    @Option(help: "Write every threshold's scores as JSON.") var json: String?
    @Option(help: "Write every threshold's scores as CSV (thr, mIoU, precision, recall, per-class IoU).")
    var csv: String?
    @Option(help: "Write the masks <id>.png (grey class indices) of the threshold --mask-thr into this folder.")
    var writeMasks: String?
    @Option(help: "Threshold of --write-masks: a number in [0, 1], or 'best' (the sweep's best mIoU).")
    var maskThr: String = "best"
    @Flag(
        help:
            "Redo the --write-masks folder whatever settings made its masks (else it must be new or hold masks of the same maps and threshold)."
    )
    var overwrite = false
    @Option(help: "Dataset (class names and count): \(DatasetKind.namesText).") var dataset: DatasetKind = .voc
    @Option(help: "One's own classes: a file of one class name per line, no background line (default: the dataset's).")
    var classNames: String?

    func validate() throws {
        if let json { try OutputFile.requireReplaceable(json, flag: "--json", kind: .json) }
        if let csv { try OutputFile.requireReplaceable(csv, flag: "--csv", kind: .csv) }
        // Checked before the sweep, not after it has printed every table.
        if writeMasks == nil && maskThr != "best" {
            throw UsageError("--mask-thr is the threshold of --write-masks; give --write-masks DIR as well")
        }
        _ = try maskThreshold(best: 0)
        if let writeMasks {
            try OutputFolder.refuseInputs(
                writeMasks, flag: "--write-masks", inputs: [("--gt-dir", gtDir), ("--cam-dir", camDir)])
        }
    }

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
            if let dir = writeMasks {
                let thr = try maskThreshold(best: merged.best.threshold)
                try writeMasks(ids: ids, to: dir, threshold: thr, classes: names.count - 1, comm: comm)
            }
        }
    }

    /// --mask-thr as a number, or the sweep's best threshold.
    func maskThreshold(best: Float) throws -> Float {
        if maskThr == "best" { return best }
        guard let t = Float(maskThr), t.isFinite, (0...1).contains(t) else {
            throw UsageError("--mask-thr takes a number in [0, 1] or 'best', not '\(maskThr)'")
        }
        return t
    }

    /// Every rank writes the masks of its images at `threshold` (infer's rule, `CAMMask`).
    func writeMasks(ids: [String], to dir: String, threshold: Float, classes: Int, comm: Communicator) throws {
        // Rank 0 claims the folder and checks what made the masks in it, before any rank writes.
        try RankDiscipline.onRoot(comm) {
            _ = try OutputFolder.claim(dir, flag: "--write-masks")
            let provenance = SweepMaskProvenance(
                epsDistVersion: EpsDistVersion.current, camDir: camDir,
                cams: try InferenceProvenance.read(in: camDir), threshold: String(format: "%.4f", threshold),
                maskThr: maskThr)
            try provenance.check(dir, flag: "--write-masks", overwrite: overwrite)
            if overwrite { try InferenceManifest.clear(dir, outputSuffixes: [".png"]) }
            try provenance.write(in: dir)
        }
        var problems: [String] = []
        var ioFailure = false
        for (i, id) in ids.enumerated() where i % comm.size == comm.rank {
            do {
                try MaskEvaluation.requireMask("\(gtDir)/\(id).png", "ground-truth mask", flag: "--gt-dir")
                let gt = try MaskFiles.read("\(gtDir)/\(id).png")
                let maps = try SavedMaps.read(
                    "\(camDir)/\(id).npy", classes: classes, height: gt.height, width: gt.width)
                let mask = maps.withUnsafeBufferPointer {
                    CAMMask.indices(maps: $0, classes: classes, plane: gt.width * gt.height, threshold: threshold)
                }
                try ImageCodecs.writePNG(
                    Image8(width: gt.width, height: gt.height, channels: 1, pixels: mask), to: "\(dir)/\(id).png")
            } catch {
                problems.append("\(error)")
                if ExitStatus.code(for: error) == ExitStatus.failure { ioFailure = true }
            }
        }
        try RankDiscipline.agree(comm, problems: problems, title: "sweep: masks not written", ioFailure: ioFailure)
        try RankDiscipline.onRoot(comm) {
            print(String(format: "wrote %d mask(s) at threshold %.3f: %@", ids.count, threshold, dir))
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
        // The thresholds as written on the command line's grid, not float32's nearest binary value.
        func clean(_ t: Float) -> Double { (Double(t) * 10_000).rounded() / 10_000 }
        if let csv { try AtomicFile.write(Data(merged.csv(classNames: names).utf8), to: csv) }
        guard let json else { return }
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
        let gtPath = "\(gtDir)/\(id).png"
        try MaskEvaluation.requireMask(gtPath, "ground-truth mask", flag: "--gt-dir")
        let gt = try MaskFiles.read(gtPath)
        try MaskEvaluation(numClasses: classes + 1, predictionIgnore: nil).check(
            gt, path: gtPath, allowed: MaskEvaluation.groundTruthIgnore, what: "ground truth")
        let maps = try SavedMaps.read("\(camDir)/\(id).npy", classes: classes, height: gt.height, width: gt.width)
        maps.withUnsafeBufferPointer { sweep.add(maps: $0, classes: classes, groundTruth: gt.pixels) }
    }
}
