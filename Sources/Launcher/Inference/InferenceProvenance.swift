import Data
import Engine
import Foundation
import Support

/// What made the outputs of an `infer` folder (`OutputProvenance`): a re-run
/// reuses masks only when all of it matches.
struct InferenceProvenance: OutputProvenance {
    var epsDistVersion: String
    /// ContentHash of the loaded network's parameter arena (the weights as used).
    var weightsHash: String
    /// The file given as --weights (for people; not compared).
    var weightsFile: String
    var arch: String
    var method: String
    var widthDivisor: Int
    var dataset: String
    var numClasses: Int
    /// The object classes in index order (absent in folders of older versions, which had the dataset's).
    var classNames: [String]?
    /// ContentHash of --labels, or "Annotations/<id>.xml" for VOC's own labels.
    var labels: String
    var scales: [Float]
    var flip: Bool
    var thr: Float
    /// Dense CRF settings ("none": no refinement).
    var crf: String
    /// How --cam-npy stores the maps (`CAMFileFormat`); nil without --cam-npy.
    var camNpyFormat: String?

    static let command = "infer"

    /// The --cam-npy format only matters in the --cam-npy folder: the masks are the same either way.
    func differences(from old: InferenceProvenance, flag: String) -> [String] {
        var d = ProvenanceDifferences()
        d.compare("eps-dist version", epsDistVersion, old.epsDistVersion)
        d.compare("weights (content hash)", weightsHash, old.weightsHash)
        d.compare("arch", arch, old.arch)
        d.compare("method", method, old.method)
        d.compare("width divisor", widthDivisor, old.widthDivisor)
        d.compare("dataset", dataset, old.dataset)
        d.compare("classes", numClasses, old.numClasses)
        d.compare("class names", classNames ?? [], old.classNames ?? classNames ?? [])
        d.compare("labels", labels, old.labels)
        d.compare("scales", scales, old.scales)
        d.compare("flip", flip, old.flip)
        d.compare("thr", thr, old.thr)
        d.compare("crf", crf, old.crf)
        if flag == "--cam-npy" { d.compare("cam-npy format", camNpyFormat ?? "none", old.camNpyFormat ?? "none") }
        return d.lines
    }

    /// One line for logs and reports.
    var summary: String {
        "eps-dist \(epsDistVersion), weights \(weightsFile) (content \(weightsHash)), \(arch) \(method), "
            + "scales \(scales.map { "\($0)" }.joined(separator: " ")), flip \(flip), thr \(thr), crf \(crf)"
    }
}

extension Inferencer {
    /// The content hash of the weights as loaded (before any BatchNorm is folded in).
    static func weightsHash(_ model: ClassifierModel) -> String {
        ContentHash.hex(
            UnsafeRawBufferPointer(start: model.store.values, count: model.store.count * MemoryLayout<Float>.stride))
    }

    /// The provenance of this run (rank 0, after the weights are loaded).
    func provenance(model: ClassifierModel, dataset kind: DatasetKind) throws -> InferenceProvenance {
        let o = options
        let labels = try o.labels.map { path in
            try InputFile.read(path, what: "the labels file (--labels)").withUnsafeBytes { ContentHash.hex($0) }
        }
        return InferenceProvenance(
            epsDistVersion: EpsDistVersion.current, weightsHash: weightsHash, weightsFile: o.weights,
            arch: model.architecture.rawValue, method: model.method.rawValue, widthDivisor: o.widthDivisor,
            dataset: kind.rawValue, numClasses: model.numClasses,
            classNames: try ClassNames.resolve(kind: kind, file: o.classNames),
            labels: labels ?? "Annotations/<id>.xml",
            scales: o.scales, flip: true, thr: o.thr, crf: try o.crfSummary(),
            camNpyFormat: o.camNpy.map { _ in o.camNpyFormat.rawValue })
    }
}
