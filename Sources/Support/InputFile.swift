import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file or folder given by the user that is not what it should be: missing,
/// a directory where a file is expected (or the reverse), a fifo or device
/// (reading it could block forever), unreadable. Bad input: exit status 2.
public struct InputFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}

/// The one way every reader opens what the user names.
public enum InputFile {
    /// The bytes of a regular file; `what` names it in messages ("the list
    /// file (--train-list)"). Large files are mapped, not copied.
    public static func read(_ path: String, what: String) throws -> Data {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            throw InputFileError(
                path: path,
                reason: code == ENOENT
                    ? "\(what) not found" : "cannot read \(what) (\(String(cString: strerror(code))))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw InputFileError(path: path, reason: "is a directory, not \(what)")
        default:
            throw InputFileError(path: path, reason: "is not a regular file (a fifo, socket or device), not \(what)")
        }
        guard access(path, R_OK) == 0 else {
            throw InputFileError(path: path, reason: "cannot read \(what) (permission denied)")
        }
        if info.st_size == 0 { return Data() }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw InputFileError(path: path, reason: "cannot read \(what) (\(error.localizedDescription))")
        }
    }

    /// Checks that `path` is a readable regular file (for readers that open
    /// the path themselves, such as libpng: a fifo would block them forever).
    public static func requireRegularFile(_ path: String, what: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw InputFileError(path: path, reason: "\(what) not found")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw InputFileError(path: path, reason: "is not a regular file, not \(what)")
        }
    }

    /// `read`, as UTF-8 text.
    public static func text(_ path: String, what: String) throws -> String {
        guard let text = String(data: try read(path, what: what), encoding: .utf8) else {
            throw InputFileError(path: path, reason: "\(what) is not UTF-8 text")
        }
        return text
    }

    /// A folder that must exist and be a directory.
    public static func requireDirectory(_ path: String, what: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw InputFileError(path: path, reason: "\(what) not found") }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw InputFileError(path: path, reason: "is a file, not \(what)")
        }
    }
}
