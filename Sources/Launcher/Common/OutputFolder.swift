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
            throw UsageError(
                "\(dir): cannot create the output folder (\(flag)): "
                    + "\(fileInTheWay(of: dir) ?? error.localizedDescription); choose another \(flag)")
        }
        guard FileManager.default.isWritableFile(atPath: dir) else {
            throw UsageError("\(dir): the output folder (\(flag)) is not writable")
        }
        return AtomicFile.removeStaleTemporaries(in: dir)
    }

    /// "X is a file, not a folder" when the nearest existing part of `dir`'s
    /// path is a file (Foundation's own message is a bare error number).
    static func fileInTheWay(of dir: String) -> String? {
        var url = URL(fileURLWithPath: dir).standardizedFileURL
        while url.path != "/" {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) {
                return isFolder.boolValue ? nil : "\(url.path) is a file, not a folder"
            }
            url.deleteLastPathComponent()
        }
        return nil
    }

    /// The one path every name of a folder resolves to (symlinks and ".." followed).
    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// Refuses an output folder that is one of the inputs (flag, folder): outputs would overwrite them.
    static func refuseInputs(_ out: String, flag: String, inputs: [(flag: String, dir: String?)]) throws {
        for case (let inputFlag, let dir?) in inputs where canonical(dir) == canonical(out) {
            throw UsageError(
                "\(flag) is the \(inputFlag) folder (\(canonical(out))): outputs would overwrite the inputs; "
                    + "choose another \(flag)")
        }
    }
}
