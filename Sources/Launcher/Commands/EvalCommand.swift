import ArgumentParser
import Data
import Distributed
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "mIoU, precision, recall and pixel accuracy of a folder of masks against ground truth.")

    @Option(help: "Ground-truth folder of <id>.png (palette or grey indices, 255 = ignore).") var gtDir: String
    @Option(help: "Predicted masks <id>.png.") var predDir: String
    @Option(help: "Ids to evaluate, one per line.") var datalist: String
    @Option(help: "Write the report as JSON.") var json: String?
    @Option(help: "Context region masks <id>.png (adds the context-confusion ratio).") var contextDir: String?
    @Option(help: "Dataset (class names and count): \(DatasetKind.namesText).") var dataset: DatasetKind = .voc
    @Option(help: "One's own classes: a file of one class name per line, no background line (default: the dataset's).")
    var classNames: String?
    @Option(help: "A prediction value to skip like ground truth's 255 (default: every value must be a class).")
    var predictionIgnore: UInt8?

    func validate() throws {
        if let json { try OutputFile.requireReplaceable(json, flag: "--json", kind: .json) }
    }

    func run() throws {
        RankDiscipline.run(SingleProcessCommunicator()) {
            let names = ["background"] + (try ClassNames.resolve(kind: dataset, file: classNames))
            if let value = predictionIgnore, Int(value) < names.count {
                throw UsageError(
                    "--prediction-ignore \(value) is a class index (0…\(names.count - 1)); it names a value outside "
                        + "the classes that the masks use for 'no decision', e.g. 255")
            }
            let ids = try Dataset.readList(datalist)
            var matrix = ConfusionMatrix(numClasses: names.count)
            var context = ContextConfusion(
                numClasses: names.count,
                regionNames: try contextDir.map { try ContextConfusion.regionNames(contextDir: $0) } ?? ["none"])
            // Say what made the masks, when their folder records it.
            let provenance: (summary: String, json: Any)?
            do { provenance = try MaskFolderProvenance.read(in: predDir) } catch {
                FileHandle.standardError.write(Data("warning: \(error)\n".utf8))
                provenance = nil
            }
            print(
                "masks: "
                    + (provenance?.summary ?? "no provenance.json in \(predDir) (not made by eps-dist infer, "
                        + "refine or seg-infer)"))
            let scorer = MaskEvaluation(numClasses: names.count, predictionIgnore: predictionIgnore)
            for id in ids {
                let predPath = "\(predDir)/\(id).png"
                try scorer.add(
                    groundTruthPath: "\(gtDir)/\(id).png", prediction: try MaskFiles.read(predPath),
                    predictionPath: predPath, contextPath: contextDir.map { "\($0)/\(id).png" },
                    into: &matrix, context: &context)
            }
            try MaskEvaluation.requireScored(matrix, images: ids.count)
            print(EvalReport.table(matrix, classNames: names))
            if contextDir != nil { print(EvalReport.contextTable(context, classNames: names)) }
            if let json {
                var report = EvalReport.json(
                    matrix, classNames: names, numImages: ids.count, context: contextDir != nil ? context : nil)
                report["provenance"] = provenance?.json
                try EvalReport.writeJSON(report, to: json)
            }
        }
    }
}
