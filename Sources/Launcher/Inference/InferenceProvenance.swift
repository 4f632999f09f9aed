import Data
import Engine
import Foundation
import Support

/// What made the outputs of an `infer` folder: written to
/// `<folder>/provenance.json` of every output folder before the first mask,
/// and compared on a re-run, which reuses masks only when all of it matches.
struct InferenceProvenance: Codable, Equatable {
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

    static let fileName = "provenance.json"

    /// "thr 0.2 → 0.3" for every compared setting that differs.
    /// The --cam-npy format only matters in the --cam-npy folder (`mapsFolder`): the masks are the same either way.
    func differences(from old: InferenceProvenance, mapsFolder: Bool) -> [String] {
        var out: [String] = []
        func compare<T: Equatable>(_ name: String, _ a: T, _ b: T) { if a != b { out.append("\(name): \(b) → \(a)") } }
        compare("eps-dist version", epsDistVersion, old.epsDistVersion)
        compare("weights (content hash)", weightsHash, old.weightsHash)
        compare("arch", arch, old.arch)
        compare("method", method, old.method)
        compare("width divisor", widthDivisor, old.widthDivisor)
        compare("dataset", dataset, old.dataset)
        compare("classes", numClasses, old.numClasses)
        compare("class names", classNames ?? [], old.classNames ?? classNames ?? [])
        compare("labels", labels, old.labels)
        compare("scales", scales, old.scales)
        compare("flip", flip, old.flip)
        compare("thr", thr, old.thr)
        compare("crf", crf, old.crf)
        if mapsFolder { compare("cam-npy format", camNpyFormat ?? "none", old.camNpyFormat ?? "none") }
        return out
    }

    /// One line for logs and reports.
    var summary: String {
        "eps-dist \(epsDistVersion), weights \(weightsFile) (content \(weightsHash)), \(arch) \(method), "
            + "scales \(scales.map { "\($0)" }.joined(separator: " ")), flip \(flip), thr \(thr), crf \(crf)"
    }

    static let encoder = SnakeCaseJSON.pretty
    static let decoder = SnakeCaseJSON.decoder

    /// The provenance recorded in `dir`, nil when there is none.
    static func read(in dir: String) throws -> InferenceProvenance? {
        let path = "\(dir)/\(fileName)"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try decoder.decode(
                InferenceProvenance.self, from: try InputFile.read(path, what: "a provenance file"))
        } catch {
            throw UsageError("\(path): unreadable provenance (\(error)); infer --overwrite redoes the folder")
        }
    }

    /// As a JSON object, for reports.
    func jsonObject() throws -> Any { try JSONSerialization.jsonObject(with: try Self.encoder.encode(self)) }

    func write(in dir: String) throws {
        try AtomicFile.write(try Self.encoder.encode(self), to: "\(dir)/\(Self.fileName)")
    }

    /// Before anything is written into an output folder: the folder must be
    /// new, or hold outputs made with exactly these settings (with
    /// `overwrite`, its outputs are redone whatever made them).
    func check(_ dir: String, flag: String, overwrite: Bool) throws {
        let outputs = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            $0.hasSuffix(".png") || $0.hasSuffix(".npy")
        }
        if !overwrite {
            if let old = try Self.read(in: dir) {
                let changed = differences(from: old, mapsFolder: flag == "--cam-npy")
                if !changed.isEmpty {
                    throw UsageError(
                        "\(dir) (\(flag)) holds outputs made with other settings:\n  "
                            + changed.joined(separator: "\n  ")
                            + "\nnothing was written; pass --overwrite to redo the folder, or choose another \(flag)")
                }
            } else if !outputs.isEmpty {
                throw UsageError(
                    "\(dir) (\(flag)) holds \(outputs.count) output(s) without \(Self.fileName) (made by an older "
                        + "eps-dist or by hand), so they cannot be checked; nothing was written; pass --overwrite "
                        + "to redo the folder, or choose another \(flag)")
            }
        }
    }
}

extension Inferencer {
    /// The provenance of this run (rank 0, after the weights are loaded).
    func provenance(model: ClassifierModel, dataset kind: DatasetKind) throws -> InferenceProvenance {
        let o = options
        let weightsHash = ContentHash.hex(
            UnsafeRawBufferPointer(start: model.store.values, count: model.store.count * MemoryLayout<Float>.stride))
        let labels = try o.labels.map { path in
            try InputFile.read(path, what: "the labels file (--labels)").withUnsafeBytes { ContentHash.hex($0) }
        }
        return InferenceProvenance(
            epsDistVersion: EpsDistVersion.current, weightsHash: weightsHash, weightsFile: o.weights,
            arch: model.architecture.rawValue, method: model.method.rawValue, widthDivisor: o.widthDivisor,
            dataset: kind.rawValue, numClasses: model.numClasses,
            classNames: try ClassNames.resolve(kind: kind, file: o.classNames),
            labels: labels ?? "Annotations/<id>.xml",
            scales: o.scales, flip: true, thr: o.thr, crf: "none",
            camNpyFormat: o.camNpy.map { _ in o.camNpyFormat.rawValue })
    }
}
