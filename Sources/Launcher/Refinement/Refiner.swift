import Data
import DenseCRF
import Distributed
import Foundation
import Support

/// `eps-dist refine`: the maps of `infer --cam-npy` refined into masks by the
/// dense CRF (`CRFRefinement`), images sharded over the ranks (i mod ranks),
/// masks written atomically, confusion matrices summed into one report.
/// Every run refines every listed image (about a second each on one core).
final class Refiner {
    let options: RefineOptions
    let comm: Communicator
    let log: RankLog

    init(options: RefineOptions, comm: Communicator) {
        self.options = options
        self.comm = comm
        log = RankLog(rank: comm.rank)
    }

    func run() throws {
        let o = options
        let parameters = try o.crf.resolved()
        let background = try o.background()
        if let root = o.dataRoot { try InputFile.requireDirectory(root, what: "the dataset folder (--data-root)") }
        try InputFile.requireDirectory(o.imageDir, what: "the image folder (--img-dir or --data-root)")
        try InputFile.requireDirectory(o.camDir, what: "the maps folder (--cam-dir)")
        let ids = try Dataset.readList(o.datalist)
        let names = ["background"] + (o.dataset == .voc ? ClassNames.voc : ClassNames.coco)
        // Rank 0 checks and claims the output folder before any rank writes.
        try RankDiscipline.onRoot(comm) {
            let provenance = RefineProvenance(
                epsDistVersion: EpsDistVersion.current, camDir: o.camDir,
                cams: try InferenceProvenance.read(in: o.camDir), dataset: o.dataset.rawValue,
                imageDir: o.imageDir, crf: parameters, background: background.description)
            let removed = try OutputFolder.claim(o.out, flag: "--out")
            if !removed.isEmpty { log.info("removed \(removed.count) leftover temporary file(s) in \(o.out)") }
            try provenance.check(o.out, flag: "--out", overwrite: o.overwrite)
            try provenance.write(in: o.out)
        }
        let mine = ids.indices.filter { $0 % comm.size == comm.rank }
        log.info(
            "eps-dist refine: \(ids.count) images on \(comm.size) rank(s), crf \(parameters.summary), \(background)")

        var confusion = ConfusionMatrix(numClasses: names.count)
        var unusedContext = ContextConfusion(numClasses: names.count, regionNames: ["none"])
        let scorer = MaskEvaluation(numClasses: names.count, predictionIgnore: nil)
        var problems: [String] = []
        var writeFailures = 0  // I/O failures (exit 1), not bad input
        let progress = ImageProgress(
            what: "refine", rank: comm.rank, ranks: comm.size, total: mine.count, interval: o.progressEvery)
        for (n, index) in mine.enumerated() {
            let id = ids[index]
            do {
                let mask = try refine(id, parameters: parameters, background: background, classes: names.count - 1)
                if let gtDir = o.gtDir {
                    try scorer.add(
                        groundTruthPath: "\(gtDir)/\(id).png", prediction: mask, predictionPath: "\(o.out)/\(id).png",
                        contextPath: nil, into: &confusion, context: &unusedContext)
                }
            } catch {
                problems.append("\(error)")
                if ExitStatus.code(for: error) == ExitStatus.failure { writeFailures += 1 }
            }
            progress.finished(n + 1)
        }
        comm.allreduceSum(&confusion.counts)
        let allProblems = try comm.allGatherStrings(problems)
        let anyWriteFailure = comm.allreduceMax(writeFailures) > 0
        try RankDiscipline.onRoot(comm) {
            if !allProblems.isEmpty {
                let message = "\(allProblems.count) image(s) failed:\n" + allProblems.joined(separator: "\n")
                if anyWriteFailure { throw CommandError(message: message) }
                throw UsageError(message)
            }
            if o.gtDir != nil {
                try MaskEvaluation.requireScored(confusion, images: ids.count)
                print(EvalReport.table(confusion, classNames: names))
                var report = EvalReport.json(confusion, classNames: names, numImages: ids.count)
                report["provenance"] = try RefineProvenance.read(in: o.out).map { try $0.jsonObject() }
                try EvalReport.writeJSON(report, to: "\(o.out)/report.json")
            }
            log.info("wrote \(ids.count) mask(s): \(o.out)")
        }
    }

    /// One image: its maps and pixels, the CRF, the mask written; returns the mask.
    func refine(_ id: String, parameters: CRFParameters, background: CRFBackground, classes: Int) throws -> Image8 {
        let o = options
        let imagePath = "\(o.imageDir)/\(id).jpg"
        let image = try ImageCodecs.readJPEG(imagePath)
        let cams = try SavedMaps.classMaps(
            "\(o.camDir)/\(id).npy", classes: classes, height: image.height, width: image.width)
        let pixels: [UInt8]
        do {
            pixels = try CRFRefinement.mask(
                rgb: image.pixels, width: image.width, height: image.height, classIndices: cams.classIndices,
                maps: cams.maps,
                parameters: parameters, background: background)
        } catch let error as DenseCRFError {
            throw DataError(imagePath, "dense CRF: \(error)")
        }
        let mask = Image8(width: image.width, height: image.height, channels: 1, pixels: pixels)
        try ImageCodecs.writePNG(mask, to: "\(o.out)/\(id).png")
        return mask
    }
}
