import Foundation
import Support

/// A folder eps-dist writes into: created with its parents, checked
/// writable, and cleared of the temporary files that killed writers of this
/// host left behind (AtomicFile never gives a partial file its final name).
enum OutputFolder {
    /// Returns the temporaries it removed. `flag` names the folder in errors.
    @discardableResult
    static func prepare(_ dir: String, flag: String) throws -> [String] {
        try create(dir, flag: flag)
        return AtomicFile.removeStaleTemporaries(in: dir)
    }

    /// prepare for a folder one run owns: creates it, takes its lock, and only then removes
    /// leftover temporaries (before the lock they may be a running writer's).
    @discardableResult
    static func claim(_ dir: String, flag: String) throws -> [String] {
        try create(dir, flag: flag)
        try lock(dir, flag: flag)
        return AtomicFile.removeStaleTemporaries(in: dir)
    }

    private static func create(_ dir: String, flag: String) throws {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw UsageError(
                "\(dir): cannot create the output folder (\(flag)): "
                    + "\(fileInTheWay(of: dir) ?? error.localizedDescription); choose another \(flag)")
        }
        guard FileManager.default.isWritableFile(atPath: dir) else {
            throw UsageError("\(dir): the output folder (\(flag)) is not writable")
        }
    }

    /// The lock file of a folder one run owns.
    static func lockFile(_ dir: String) -> String { "\(dir)/.eps-dist.lock" }

    /// Takes `dir`'s lock: an advisory `flock` held until the process ends (the kernel drops it
    /// even on a kill), so that two runs writing one folder (interleaved manifests, metrics,
    /// checkpoints) are refused. A folder this process holds already is granted again.
    static func lock(_ dir: String, flag: String) throws {
        let key = canonical(dir)
        heldLock.lock()
        defer { heldLock.unlock() }
        if held[key] != nil { return }
        let file = lockFile(dir)
        let fd = open(file, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFile.WriteError(path: file, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw UsageError(
                "\(dir) is in use by another eps-dist run (it holds \(file)); wait for it to end or choose another "
                    + flag)
        }
        held[key] = fd  // kept open on purpose: closing the descriptor would release the lock
    }

    nonisolated(unsafe) private static var held: [String: Int32] = [:]
    private static let heldLock = NSLock()

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
