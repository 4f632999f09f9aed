import Foundation
import Support

/// RUN_DIR layout (docs/ARCHITECTURE.md, "Files"): config.yaml, checkpoint.safetensors,
/// checkpoints/step-NNNNNN.safetensors, metrics.jsonl, logs/rank-N.log.
public struct RunDirectory {
    public let path: String
    public init(_ path: String) { self.path = path }

    public var config: String { "\(path)/config.yaml" }
    public var finalCheckpoint: String { "\(path)/checkpoint.safetensors" }
    public var checkpoints: String { "\(path)/checkpoints" }
    public var metrics: String { "\(path)/metrics.jsonl" }
    public var logs: String { "\(path)/logs" }
    public func log(rank: Int) -> String { "\(logs)/rank-\(rank).log" }
    public func stepCheckpoint(_ step: Int) -> String { checkpoints + String(format: "/step-%06d.safetensors", step) }

    public var lockFile: String { OutputFolder.lockFile(path) }

    /// Takes the run's lock (OutputFolder.claim): two runs writing one --out would interleave
    /// metrics.jsonl lines and race for the checkpoints. Creates the folder; returns the leftover
    /// temporaries of killed writers it removed.
    @discardableResult
    public func lock() throws -> [String] { try OutputFolder.claim(path, flag: "--out") }

    /// Creates the subfolders; returns the leftover temporaries of killed writers it removed.
    public func create() throws -> [String] {
        try [checkpoints, logs].flatMap { try OutputFolder.prepare($0, flag: "--out") }
    }

    /// Complete step checkpoints (temp files never carry the final name), oldest first.
    /// None when the folder does not exist yet (a new run).
    public func stepCheckpoints() -> [(step: Int, path: String)] {
        let names =
            FileManager.default.fileExists(atPath: checkpoints)
            ? ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints)) ?? []) : []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".safetensors"),
                let step = Int(name.dropFirst(5).dropLast(12))
            else { return nil }
            return (step, "\(checkpoints)/\(name)")
        }.sorted { $0.0 < $1.0 }
    }

    /// True when the folder already holds a run's results.
    public var holdsRun: Bool {
        FileManager.default.fileExists(atPath: finalCheckpoint) || !stepCheckpoints().isEmpty
    }

    /// Removes metrics lines of steps after `step` (a resumed run logs them again).
    /// A line that is not a metrics record (a write cut off by a kill) is dropped too.
    public func dropMetrics(after step: Int) throws {
        guard FileManager.default.fileExists(atPath: metrics) else { return }
        let text: String
        do { text = try String(contentsOfFile: metrics, encoding: .utf8) } catch {
            throw CommandError(
                message: "\(metrics): cannot read the metrics of the run to resume: \(error.localizedDescription)")
        }
        let kept = text.split(separator: "\n").filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let s = object["step"] as? Int
            else { return false }
            return s <= step
        }
        try AtomicFile.write(Data((kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).utf8), to: metrics)
    }

    /// Keeps the newest `keep` step checkpoints; returns what could not be removed.
    public func prune(keep: Int) -> [String] {
        let all = stepCheckpoints()
        guard keep > 0, all.count > keep else { return [] }
        var failed: [String] = []
        for old in all.dropLast(keep) {
            do { try FileManager.default.removeItem(atPath: old.path) } catch {
                failed.append("\(old.path) (\(error.localizedDescription))")
            }
        }
        return failed
    }
}
