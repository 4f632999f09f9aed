import Distributed
import Foundation

/// A live one-line status on a terminal (rank 0 only); plain log lines elsewhere.
final class ProgressLine {
    /// A terminal, and not under an MPI launcher (mpirun hands every rank a
    /// pseudo-terminal even when its own output goes to a file);
    /// EPS_DIST_PROGRESS=bar|lines overrides.
    static var wanted: Bool {
        switch ProcessInfo.processInfo.environment["EPS_DIST_PROGRESS"] {
        case "bar": return true
        case "lines": return false
        default: return isatty(STDOUT_FILENO) != 0 && !Communicators.launchedByMPI
        }
    }

    /// Redraws at most this often.
    static let minimumInterval = 0.2

    let enabled: Bool
    private var last = Date.distantPast
    init(enabled: Bool) { self.enabled = enabled }

    func show(_ text: String) {
        guard enabled, Date().timeIntervalSince(last) > Self.minimumInterval else { return }
        last = Date()
        print("\r\u{1B}[K" + text, terminator: "")
        fflush(stdout)
    }

    func clear() {
        guard enabled else { return }
        print("\r\u{1B}[K", terminator: "")
        fflush(stdout)
    }
}
