import Dispatch
import Foundation

/// SIGTERM / SIGUSR1 (Slurm preemption, `scancel --signal`) ask for a stop at
/// the next step boundary: the ranks agree, rank 0 writes a checkpoint and the
/// job exits with ExitStatus.preempted so the batch script can requeue.
final class StopRequests: @unchecked Sendable {
    private let lock = NSLock()
    private var signalName: String?
    private var sources: [DispatchSourceSignal] = []

    init() {
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGUSR1, "SIGUSR1")] {
            signal(number, SIG_IGN)  // the dispatch source gets it instead
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.request(name) }
            source.resume()
            sources.append(source)
        }
    }

    func request(_ name: String) {
        lock.lock()
        defer { lock.unlock() }
        if signalName == nil { signalName = name }
    }

    var requested: String? {
        lock.lock()
        defer { lock.unlock() }
        return signalName
    }
}

/// Ends the process when a collective has not completed within `timeout`
/// seconds (a rank died, hangs or was stopped). Exiting makes mpirun/srun
/// end the other ranks instead of leaving them waiting forever.
final class CollectiveWatchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var armed: (step: Int, what: String, since: Date)?
    private let timeout: Double
    private let rank: Int

    init(timeout: Double, rank: Int) {
        self.timeout = timeout
        self.rank = rank
        guard timeout > 0 else { return }
        let t = Thread { [weak self] in
            while let self {
                Thread.sleep(forTimeInterval: min(1, self.timeout / 4))
                self.check()
            }
        }
        t.name = "collective-watchdog"
        t.start()
    }

    func arm(step: Int, _ what: String) {
        lock.lock()
        armed = (step, what, Date())
        lock.unlock()
    }

    func disarm() {
        lock.lock()
        armed = nil
        lock.unlock()
    }

    private func check() {
        lock.lock()
        let a = armed
        lock.unlock()
        guard let a, Date().timeIntervalSince(a.since) > timeout else { return }
        let message =
            "error (rank \(rank)): \(a.what) of step \(a.step) did not complete within \(Int(timeout)) s "
            + "(--collective-timeout); another rank is dead, stuck or far slower. Ending the job.\n"
        FileHandle.standardError.write(Data(message.utf8))
        _exit(ExitStatus.failure)
    }
}
