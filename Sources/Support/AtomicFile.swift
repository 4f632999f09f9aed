import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a file so that no partial file ever carries the final name:
/// temp name in the same folder, fsync, rename.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// True for an existing non-regular file (a device such as /dev/null or
    /// /dev/stdout, a FIFO): it is written in place, never replaced by a rename.
    static func isSpecial(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG
    }

    public static func write(_ data: Data, to path: String) throws {
        if isSpecial(path) {
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw WriteError(path: path, reason: "cannot open for writing")
            }
            handle.write(data)
            handle.closeFile()
            return
        }
        let temp = path + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        var ok = true
        data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n <= 0 {
                    ok = false
                    break
                }
                done += n
            }
        }
        let reason = ok ? "" : String(cString: strerror(errno))
        if ok && fsync(fd) != 0 { ok = false }
        close(fd)
        guard ok, rename(temp, path) == 0 else {
            unlink(temp)
            throw WriteError(path: path, reason: reason.isEmpty ? "write or rename failed (disk full?)" : reason)
        }
    }

    /// For writers that only take a path (C codecs): `produce` writes the temp
    /// path it is given; then fsync and rename. On error the temp file is removed.
    public static func write(to path: String, using produce: (String) throws -> Void) throws {
        let temp = path + ".tmp-\(getpid())"
        do {
            try produce(temp)
            let fd = open(temp, O_RDONLY)
            guard fd >= 0 else { throw WriteError(path: path, reason: "the written file cannot be reopened") }
            let synced = fsync(fd) == 0
            close(fd)
            guard synced else { throw WriteError(path: path, reason: "fsync failed (disk full?)") }
            guard rename(temp, path) == 0 else {
                throw WriteError(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            unlink(temp)
            throw error
        }
    }
}
