import Foundation

/// Images done and time left of one rank's share of a per-image job (infer,
/// refine): a live line on a terminal (one rank, no MPI launcher), else a
/// plain line every `interval` seconds, on the first image and on the last,
/// so that batch logs show every rank's pace at least that often.
final class ImageProgress {
    let rank: Int
    let total: Int
    let interval: Double
    let what: String
    private let line: ProgressLine
    private let started = Date()
    private var lastPrinted = Date.distantPast

    /// `what`: the job's name in the lines ("infer").
    init(what: String, rank: Int, ranks: Int, total: Int, interval: Double) {
        self.what = what
        self.rank = rank
        self.total = total
        self.interval = interval
        line = ProgressLine(enabled: ranks == 1 && ProgressLine.wanted)
    }

    /// "infer rank 1: 40/120 images (33%), 2.10 img/s, 0m38s left".
    func text(done: Int) -> String {
        let elapsed = Date().timeIntervalSince(started)
        let rate = Double(done) / max(elapsed, 1e-9)
        let left = done > 0 ? Double(total - done) / rate : .nan
        return String(
            format: "%@ rank %d: %d/%d images (%d%%), %.2f img/s, %@ left", what, rank, done, total,
            total > 0 ? done * 100 / total : 100, rate, RunClock.format(left))
    }

    /// After each image; returns whether a plain line was printed (callers refresh their records then).
    @discardableResult
    func finished(_ done: Int) -> Bool {
        let now = Date()
        if line.enabled {
            line.show(text(done: done))
            if done == total { line.clear() }
        }
        guard done == 1 || done == total || now.timeIntervalSince(lastPrinted) >= interval else { return false }
        lastPrinted = now
        if !line.enabled || done == total {
            print(text(done: done))
            fflush(stdout)
        }
        return true
    }
}
