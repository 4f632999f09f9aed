import Data

/// The masks scored against their ground truth as `eval` scores them
/// (`MaskEvaluation`, so the same refusals): the whole confusion matrix,
/// the context confusion when context masks are given, and each image's own
/// mIoU (over the classes in its ground truth or mask, background included)
/// that orders the gallery.
struct ReportScores {
    var matrix: ConfusionMatrix
    var context: ContextConfusion?
    /// Per id of `masks.ids`; NaN when no pixel of the image is scored.
    var perImage: [Double]

    init(_ masks: ReportInputs.Masks) throws {
        let n = masks.classNames.count
        matrix = ConfusionMatrix(numClasses: n)
        var context = ContextConfusion(
            numClasses: n,
            regionNames: try masks.contextDir.map { try ContextConfusion.regionNames(contextDir: $0) } ?? ["none"])
        let scorer = MaskEvaluation(numClasses: n, predictionIgnore: nil)
        perImage = []
        for id in masks.ids {
            var own = ConfusionMatrix(numClasses: n)
            let maskPath = "\(masks.dir)/\(id).png"
            try scorer.add(
                groundTruthPath: "\(masks.gtDir)/\(id).png", prediction: try MaskFiles.read(maskPath),
                predictionPath: maskPath, contextPath: masks.contextDir.map { "\($0)/\(id).png" }, into: &own,
                context: &context)
            perImage.append(own.meanIoU)
            matrix.merge(own)
        }
        try MaskEvaluation.requireScored(matrix, images: masks.ids.count)
        self.context = masks.contextDir != nil ? context : nil
    }
}
