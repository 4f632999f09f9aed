import Foundation

/// What made the masks of a `seg-infer` folder: a re-run reuses masks only when all of it matches.
struct SegInferProvenance: OutputProvenance {
    var epsDistVersion: String
    /// ContentHash of the loaded parameters (the weights as used).
    var weightsHash: String
    /// The file given as --weights (for people; not compared).
    var weightsFile: String
    var arch: String
    var widthDivisor: Int
    var dataset: String
    var classNames: [String]
    var scales: [Float]
    var flip: Bool
    var crf: String

    static let command = "seg-infer"

    func differences(from old: SegInferProvenance, flag: String) -> [String] {
        var d = ProvenanceDifferences()
        d.compare("eps-dist version", epsDistVersion, old.epsDistVersion)
        d.compare("weights (content hash)", weightsHash, old.weightsHash)
        d.compare("arch", arch, old.arch)
        d.compare("width divisor", widthDivisor, old.widthDivisor)
        d.compare("dataset", dataset, old.dataset)
        d.compare("class names", classNames, old.classNames)
        d.compare("scales", scales, old.scales)
        d.compare("flip", flip, old.flip)
        d.compare("crf", crf, old.crf)
        return d.lines
    }

    var summary: String {
        "eps-dist \(epsDistVersion), weights \(weightsFile) (content \(weightsHash)), \(arch), "
            + "scales \(scales.map { "\($0)" }.joined(separator: " ")), flip \(flip), crf \(crf)"
    }
}
