import Foundation
import Support

/// The per-image records of an infer output folder. Each rank appends a line
/// to `progress-rank-N.jsonl` as each of its images finishes (a killed run
/// shows what is done, and a re-run can check every image it reuses); at the
/// end rank 0 merges them into `manifest.json` and removes the progress files.
enum InferenceManifest {
    struct Entry: Codable {
        var id: String
        var shard: Int
        var status: String
        var seconds: Double
        /// The image the mask was made from: its size and ContentHash.
        var width: Int? = nil
        var height: Int? = nil
        var imageHash: String? = nil
    }

    static let fileName = "manifest.json"
    static func progressFile(_ dir: String, rank: Int) -> String { "\(dir)/progress-rank-\(rank).jsonl" }

    static let encoder = SnakeCaseJSON.compact
    static let decoder = SnakeCaseJSON.decoder

    /// Every recorded entry of the folder by id (the merged manifest, then any
    /// progress lines of an interrupted run); cut-off lines are skipped.
    static func read(in dir: String) throws -> [String: Entry] {
        var entries: [String: Entry] = [:]
        let path = "\(dir)/\(fileName)"
        if FileManager.default.fileExists(atPath: path) {
            struct Manifest: Decodable { var images: [Entry] }
            do {
                let manifest = try decoder.decode(Manifest.self, from: try InputFile.read(path, what: "a manifest"))
                for entry in manifest.images { entries[entry.id] = entry }
            } catch {
                throw UsageError("\(path): unreadable manifest (\(error)); pass --overwrite to redo the folder")
            }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        where name.hasPrefix("progress-rank-") && name.hasSuffix(".jsonl") {
            let text = try InputFile.text("\(dir)/\(name)", what: "a progress file")
            for line in text.split(separator: "\n") {
                if let entry = try? decoder.decode(Entry.self, from: Data(line.utf8)) { entries[entry.id] = entry }
            }
        }
        return entries
    }

    /// One rank's progress file, appended to as images finish.
    final class Progress {
        private let handle: FileHandle
        let path: String

        init(dir: String, rank: Int) throws {
            path = InferenceManifest.progressFile(dir, rank: rank)
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil) else {
                    throw AtomicFile.WriteError(path: path, reason: "cannot create the progress file")
                }
            }
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw AtomicFile.WriteError(path: path, reason: "cannot open the progress file")
            }
            self.handle = handle
            _ = try handle.seekToEnd()
        }

        func append(_ entry: Entry) throws {
            do { try handle.write(contentsOf: try InferenceManifest.encoder.encode(entry) + Data("\n".utf8)) } catch {
                throw AtomicFile.WriteError(path: path, reason: error.localizedDescription)
            }
        }
    }

    /// The merged manifest, in list order (`complete`: every image of the list has its entry); then the
    /// progress files go.
    static func write(_ entries: [Entry], order: [String], ranks: Int, weights: String, in dir: String) throws {
        try writeManifest(entries, order: order, ranks: ranks, complete: true, extra: ["weights": weights], in: dir)
        for rank in 0..<ranks { unlink(progressFile(dir, rank: rank)) }
    }

    /// While a run goes on: the manifest of what the folder records so far (this run's progress files over the
    /// previous manifest), `complete` false; the progress files stay.
    static func refresh(in dir: String, order: [String], ranks: Int) throws {
        let recorded = try read(in: dir)
        try writeManifest(Array(recorded.values), order: order, ranks: ranks, complete: false, extra: [:], in: dir)
    }

    static func writeManifest(
        _ entries: [Entry], order: [String], ranks: Int, complete: Bool, extra: [String: Any], in dir: String
    ) throws {
        let byId = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let images = try order.compactMap { byId[$0] }.map { entry -> Any in
            var rounded = entry
            rounded.seconds = (entry.seconds * 1000).rounded() / 1000
            return try JSONSerialization.jsonObject(with: try encoder.encode(rounded))
        }
        var object: [String: Any] = ["images": images, "count": images.count, "ranks": ranks, "complete": complete]
        object.merge(extra) { a, _ in a }
        object["listed"] = order.count
        try EvalReport.writeJSON(object, to: "\(dir)/\(fileName)")
    }

    /// --overwrite: the folder's records and outputs go, so nothing of an
    /// earlier run can be taken for this one's.
    static func clear(_ dir: String, outputSuffixes: [String]) throws {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            let isRecord = name == fileName || name == "report.json" || name.hasPrefix("progress-rank-")
            guard isRecord || outputSuffixes.contains(where: { name.hasSuffix($0) }) else { continue }
            do { try FileManager.default.removeItem(atPath: "\(dir)/\(name)") } catch {
                throw AtomicFile.WriteError(path: "\(dir)/\(name)", reason: "cannot remove it for --overwrite")
            }
        }
    }
}
