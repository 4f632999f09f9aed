import Foundation

/// What made the masks of `sweep --write-masks` (`OutputProvenance`): the maps, by their own
/// provenance, and the threshold. A folder of masks made with another threshold or other maps is
/// refused (they would mix: `eval` scored the mixture), unless `sweep --overwrite`.
struct SweepMaskProvenance: OutputProvenance {
    var epsDistVersion: String
    /// --cam-dir (for people; not compared: the maps' own provenance is).
    var camDir: String
    /// The provenance of the maps (their folder's, written by infer); nil when the folder has none.
    var cams: InferenceProvenance?
    /// The threshold the masks were cut at (the sweep's best, or --mask-thr), as printed.
    var threshold: String
    /// --mask-thr as given ("best" or a number).
    var maskThr: String

    static let command = "sweep --write-masks"

    func differences(from old: SweepMaskProvenance, flag: String) -> [String] {
        var d = ProvenanceDifferences()
        d.compare("eps-dist version", epsDistVersion, old.epsDistVersion)
        d.compareMaps(cams, old.cams)
        d.compare("threshold", threshold, old.threshold)
        return d.lines
    }

    var summary: String { "eps-dist \(epsDistVersion), maps \(camDir), threshold \(threshold) (--mask-thr \(maskThr))" }
}
