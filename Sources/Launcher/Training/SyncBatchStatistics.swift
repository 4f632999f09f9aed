import Distributed
import Engine

/// SyncBatchNorm over MPI: each BatchNorm's per-channel sums become sums over
/// every rank, in one blocking allreduce per call (every rank calls it in the
/// same order: same network, same layer order). The watchdog ends a rank whose
/// partner died instead of letting it wait forever.
final class SyncBatchStatistics: BatchStatisticsReducer {
    let comm: Communicator
    let watchdog: CollectiveWatchdog?
    /// The 1-based step being computed, for the watchdog's message.
    var step = 0

    init(comm: Communicator, watchdog: CollectiveWatchdog?) {
        self.comm = comm
        self.watchdog = watchdog
    }

    func sumAcrossReplicas(_ values: inout [Double]) {
        guard comm.size > 1 else { return }
        watchdog?.arm(step: step, "a synchronised BatchNorm allreduce")
        comm.allreduceSum(&values)
        watchdog?.disarm()
    }
}
