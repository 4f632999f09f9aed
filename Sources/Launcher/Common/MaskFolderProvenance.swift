import Foundation

/// The provenance of a masks folder, whichever command wrote it (`infer`,
/// `refine`, `seg-infer`): what `eval` prints and records of the masks it scores.
enum MaskFolderProvenance {
    /// The summary line and JSON object of `dir`'s provenance.json; nil when
    /// there is none. A file no command's type reads is reported as unreadable.
    static func read(in dir: String) throws -> (summary: String, json: Any)? {
        guard FileManager.default.fileExists(atPath: "\(dir)/provenance.json") else { return nil }
        func attempt<P: OutputProvenance>(_: P.Type) -> (summary: String, json: Any)? {
            guard let provenance = try? P.read(in: dir), let json = try? provenance.jsonObject() else { return nil }
            return ("\(P.command): \(provenance.summary)", json)
        }
        if let found = attempt(InferenceProvenance.self) ?? attempt(SegInferProvenance.self)
            ?? attempt(RefineProvenance.self) ?? attempt(SweepMaskProvenance.self)
        {
            return found
        }
        throw UsageError(
            "\(dir)/provenance.json: unreadable provenance (not written by eps-dist infer, refine, seg-infer or sweep)")
    }
}
