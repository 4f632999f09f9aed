import Foundation
import Support

/// A folder eps-dist writes into: created with its parents, checked
/// writable, and cleared of the temporary files that killed writers of this
/// host left behind (AtomicFile never gives a partial file its final name).
enum OutputFolder {
    /// Returns the temporaries it removed. `flag` names the folder in errors.
    @discardableResult
    static func prepare(_ dir: String, flag: String) throws -> [String] {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw UsageError("\(dir): cannot create the output folder (\(flag)): \(error.localizedDescription)")
        }
        guard FileManager.default.isWritableFile(atPath: dir) else {
            throw UsageError("\(dir): the output folder (\(flag)) is not writable")
        }
        return AtomicFile.removeStaleTemporaries(in: dir)
    }
}
