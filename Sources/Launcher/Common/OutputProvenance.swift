import Foundation
import Support

/// What made the outputs of a folder (`infer`, `refine`): written to
/// `<folder>/provenance.json` before the first output, and compared on a
/// re-run, which refuses a folder made with other settings unless told to
/// redo it.
protocol OutputProvenance: Codable, Equatable {
    /// The command that writes such folders, for messages ("infer").
    static var command: String { get }
    /// "thr: 0.2 → 0.3" for every compared setting that differs in the folder of `flag`.
    func differences(from old: Self, flag: String) -> [String]
    /// One line for logs and reports.
    var summary: String { get }
}

extension OutputProvenance {
    static var fileName: String { "provenance.json" }

    /// The provenance recorded in `dir`, nil when there is none.
    static func read(in dir: String) throws -> Self? {
        let path = "\(dir)/\(fileName)"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try SnakeCaseJSON.decoder.decode(
                Self.self, from: try InputFile.read(path, what: "a provenance file"))
        } catch {
            throw UsageError("\(path): unreadable provenance (\(error)); \(command) --overwrite redoes the folder")
        }
    }

    /// As a JSON object, for reports.
    func jsonObject() throws -> Any { try JSONSerialization.jsonObject(with: try SnakeCaseJSON.pretty.encode(self)) }

    func write(in dir: String) throws {
        try AtomicFile.write(try SnakeCaseJSON.pretty.encode(self), to: "\(dir)/\(Self.fileName)")
    }

    /// Before anything is written into an output folder: the folder must be
    /// new, or hold outputs made with exactly these settings (with
    /// `overwrite`, its outputs are redone whatever made them).
    func check(_ dir: String, flag: String, overwrite: Bool) throws {
        guard !overwrite else { return }
        let outputs = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            $0.hasSuffix(".png") || $0.hasSuffix(".npy")
        }
        if let old = try Self.read(in: dir) {
            let changed = differences(from: old, flag: flag)
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

/// Collects "name: old → new" lines of the settings that differ.
struct ProvenanceDifferences {
    private(set) var lines: [String] = []

    mutating func compare<T: Equatable>(_ name: String, _ new: T, _ old: T) {
        if new != old { lines.append("\(name): \(old) → \(new)") }
    }

    /// The maps a folder was made from (refine, sweep --write-masks), by their infer provenance:
    /// the summary line, or every field when only the details differ.
    mutating func compareMaps(_ new: InferenceProvenance?, _ old: InferenceProvenance?) {
        compare("maps (their provenance)", new?.summary ?? "none", old?.summary ?? "none")
        if new?.summary == old?.summary && new != old { compare("maps (their provenance)", new, old) }
    }
}
