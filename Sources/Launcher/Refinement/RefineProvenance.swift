import DenseCRF
import Foundation

/// What made the masks of a `refine` folder (`OutputProvenance`): a re-run with
/// other settings or other maps is refused unless --overwrite.
struct RefineProvenance: OutputProvenance {
    var epsDistVersion: String
    /// --cam-dir (for people; not compared: the maps' own provenance is).
    var camDir: String
    /// The provenance of the maps (their folder's, written by infer); nil when the folder has none.
    var cams: InferenceProvenance?
    var dataset: String
    /// The image folder (for people; not compared).
    var imageDir: String
    var crf: CRFParameters
    /// "bg-thr 0.2" or "bg-alpha 4".
    var background: String

    static let command = "refine"

    func differences(from old: RefineProvenance, flag: String) -> [String] {
        var d = ProvenanceDifferences()
        d.compare("eps-dist version", epsDistVersion, old.epsDistVersion)
        d.compareMaps(cams, old.cams)
        d.compare("dataset", dataset, old.dataset)
        d.compare("crf", crf.summary, old.crf.summary)
        d.compare("background", background, old.background)
        return d.lines
    }

    var summary: String {
        "eps-dist \(epsDistVersion), maps \(camDir), crf \(crf.summary), \(background)"
    }
}
