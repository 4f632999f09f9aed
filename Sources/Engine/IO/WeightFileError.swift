/// Why a weight file cannot be used: it does not read as a weight file
/// (`reason`), or it reads but does not fit the network (every `problems`
/// entry at once, so a user fixes them in one go). One type, so callers map
/// any weight-file failure to "bad input" with a single check.
public struct WeightFileError: Error, CustomStringConvertible {
    public let path: String
    /// What makes the file unreadable; nil when it was read.
    public let reason: String?
    /// The ways its tensors do not fit the network; empty when it was unreadable.
    public let problems: [String]

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
        self.problems = []
    }
    public init(path: String, problems: [String]) {
        self.path = path
        self.reason = nil
        self.problems = problems
    }

    public var description: String {
        if let reason { return "\(path): not a usable weight file: \(reason)" }
        let count = "\(problems.count) problem\(problems.count == 1 ? "" : "s")"
        let shown = problems.prefix(40).joined(separator: "\n  ")
        let more = problems.count > 40 ? "\n  ... and \(problems.count - 40) more" : ""
        return "\(path): weights do not fit the network (\(count)):\n  " + shown + more
    }
}

extension WeightFileError {
    /// Runs a reader's parse so that a failure of a layer that knows no path
    /// (ByteReader, ZipReader, PickleReader) reaches the caller naming the file.
    static func naming<T>(_ path: String, _ prefix: String = "", _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as WeightFileError { throw error } catch {
            throw WeightFileError(path: path, reason: prefix + "\(error)")
        }
    }
}
