import Foundation

/// Logging with rank discipline: rank 0 prints to the console; every rank
/// appends to its own file (RUN_DIR/logs/rank-N.log) when one is given.
public final class RankLog {
    public let rank: Int
    private var file: FileHandle?
    private let start = Date()

    public init(rank: Int, path: String? = nil) {
        self.rank = rank
        if let path {
            // Append: a resumed run keeps what the interrupted one logged.
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
            file = FileHandle(forWritingAtPath: path)
            _ = try? file?.seekToEnd()
        }
    }

    /// A line for the console (rank 0) and the rank's file.
    public func info(_ message: String) {
        if rank == 0 {
            print(message)
            fflush(stdout)
        }
        record(message)
    }

    /// A line for the rank's file only. A write that fails (a full disk)
    /// ends the file log with one warning instead of stopping the run: the
    /// run's own outputs (checkpoints, masks) report their failures.
    public func record(_ message: String) {
        guard let file else { return }
        let stamp = String(format: "%9.2f", Date().timeIntervalSince(start))
        do {
            try file.write(contentsOf: Data("[\(stamp)s rank \(rank)] \(message)\n".utf8))
        } catch {
            self.file = nil
            warn("cannot write the rank log any more (\(error.localizedDescription)); the console keeps it")
        }
    }

    /// A warning on every rank's stderr (rank-prefixed) and file.
    public func warn(_ message: String) {
        FileHandle.standardError.write(Data("warning (rank \(rank)): \(message)\n".utf8))
        record("warning: \(message)")
    }
}
