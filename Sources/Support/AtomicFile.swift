import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a file so that no partial file ever carries the final name:
/// temp name in the same folder, fsync, rename.
public enum AtomicFile {
    /// An output that could not be written (disk full, permissions, a
    /// vanished folder): an I/O failure, exit status 1.
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// `<path>.tmp-<host>-<pid>`: the writer's host and process, so a later
    /// run can tell its own host's leftovers of dead writers from live ones.
    static func temporaryName(for path: String) -> String { path + temporaryMarker + "\(host)-\(getpid())" }
    static let temporaryMarker = ".tmp-"
    static let host = HostName.current.replacingOccurrences(of: "-", with: "_")

    /// Removes the temporary files in `dir` left by writers of this host
    /// that no longer run (a killed run); returns their paths. Temporaries of
    /// live processes and of other hosts are left alone.
    @discardableResult
    public static func removeStaleTemporaries(in dir: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var removed: [String] = []
        for name in names {
            guard let marker = name.range(of: temporaryMarker, options: .backwards) else { continue }
            let owner = name[marker.upperBound...].split(separator: "-")
            guard owner.count == 2, owner[0] == host, let pid = Int32(owner[1]) else { continue }
            let alive = kill(pid, 0) == 0 || errno == EPERM
            if !alive && unlink("\(dir)/\(name)") == 0 { removed.append("\(dir)/\(name)") }
        }
        return removed
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
            defer { try? handle.close() }
            do { try handle.write(contentsOf: data) } catch {
                throw WriteError(path: path, reason: "\(error.localizedDescription) (disk full?)")
            }
            return
        }
        let temp = temporaryName(for: path)
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
        let temp = temporaryName(for: path)
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
