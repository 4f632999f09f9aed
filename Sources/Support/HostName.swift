import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// This machine's name as gethostname(2) gives it (what Python's
/// socket.gethostname() returns), read once.
public enum HostName {
    public static let current: String = {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        return String(cString: name)
    }()
}
