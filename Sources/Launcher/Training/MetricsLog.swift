import Foundation

/// Rank 0's RUN_DIR/metrics.jsonl: one JSON object per logged step, appended
/// (a resumed run continues the file after dropping the steps it redoes).
final class MetricsLog {
    let path: String
    private let handle: FileHandle

    init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CommandError(message: "\(path): cannot create the metrics file")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CommandError(message: "\(path): cannot open the metrics file for writing")
        }
        self.handle = handle
        _ = try handle.seekToEnd()
    }

    func append(_ record: MetricsRecord) throws {
        let line = try MetricsRecord.encoder.encode(record) + Data("\n".utf8)
        do { try handle.write(contentsOf: line) } catch {
            throw CommandError(message: "\(path): cannot append metrics (\(error.localizedDescription))")
        }
    }
}
