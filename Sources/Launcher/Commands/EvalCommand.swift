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
    @Option(help: "Dataset (class names and count): voc or coco.") var dataset: String = "voc"

    func run() throws {
        RankDiscipline.run(SingleProcessCommunicator()) {
            guard let kind = DatasetKind(rawValue: dataset) else { throw UsageError("--dataset must be voc or coco") }
            let names = ["background"] + (kind == .voc ? ClassNames.voc : ClassNames.coco)
            let ids = try Dataset.readList(datalist)
            var matrix = ConfusionMatrix(numClasses: names.count)
            var context = ContextConfusion(
                numClasses: names.count, regionNames: contextDir.map(ContextConfusion.regionNames) ?? ["none"])
            for id in ids {
                let gt = try MaskFiles.read("\(gtDir)/\(id).png")
                let pred = try MaskFiles.read("\(predDir)/\(id).png")
                let p = Inferencer.cropped(pred, width: gt.width, height: gt.height)
                matrix.add(groundTruth: gt.pixels, prediction: p)
                if let contextDir {
                    let region = try MaskFiles.read("\(contextDir)/\(id).png", size: (gt.width, gt.height))
                    context.add(groundTruth: gt.pixels, prediction: p, region: region.pixels)
                }
            }
            print(EvalReport.table(matrix, classNames: names))
            if contextDir != nil { print(EvalReport.contextTable(context, classNames: names)) }
            if let json {
                try EvalReport.writeJSON(
                    EvalReport.json(
                        matrix, classNames: names, numImages: ids.count,
                        context: contextDir != nil ? context : nil), to: json)
            }
        }
    }
}
