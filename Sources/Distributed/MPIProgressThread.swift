import Foundation

/// The helper thread of `CollectiveProgress.thread`: while non-blocking
/// collectives are in flight it calls `test` on them every `interval`
/// (MPI_Testall under the communicator's MPI lock) and sleeps on a condition
/// when none are. `test` returns the requests still in flight. The thread
/// holds the object until its loop ends; `stop` returns only then, so no MPI
/// call follows it (MPI_Finalize, MPI_Abort).
final class MPIProgressThread: @unchecked Sendable {
    /// Short enough that a 25 MB bucket over a 1–10 GbE socket is fed
    /// continuously, long enough to cost nothing measurable (docs/PERFORMANCE.md).
    static let interval: TimeInterval = 0.0005

    private let condition = NSCondition()
    private var inFlight: [CollectiveRequest] = []
    private var stopped = false
    private var exited = false
    private let test: ([CollectiveRequest]) -> [CollectiveRequest]

    init(test: @escaping ([CollectiveRequest]) -> [CollectiveRequest]) {
        self.test = test
        let thread = Thread { self.loop() }
        thread.name = "mpi-progress"
        thread.start()
    }

    func add(_ request: CollectiveRequest) {
        condition.lock()
        inFlight.append(request)
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread and waits until it has (before MPI_Finalize or MPI_Abort).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while !exited { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while inFlight.isEmpty && !stopped { condition.wait() }
            if stopped {
                exited = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let current = inFlight
            condition.unlock()

            let open = Set(test(current).map(ObjectIdentifier.init))
            condition.lock()
            // Requests added meanwhile are not in `current` and stay.
            let tested = Set(current.map(ObjectIdentifier.init))
            inFlight.removeAll { tested.contains(ObjectIdentifier($0)) && !open.contains(ObjectIdentifier($0)) }
            condition.unlock()
            Thread.sleep(forTimeInterval: Self.interval)
        }
    }
}
