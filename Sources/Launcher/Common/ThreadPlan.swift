import Distributed
import Engine
import Foundation

/// How a rank computes: threads per rank so that ranks × threads ≤ cores of
/// the node, and the convolution algorithm.
enum ThreadPlan {
    static var coresOnNode: Int { max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1) }

    /// `--threads` wins; else OPENBLAS_NUM_THREADS when set; else cores / ranks on the node.
    @discardableResult
    static func configure(
        requested: Int?, convAlgorithm: ConvAlgorithm, comm: Communicator, log: RankLog
    ) -> Int {
        ConvAlgorithm.current = convAlgorithm
        let cores = coresOnNode
        let fromEnv = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap { Int($0) }
        let threads = max(requested ?? fromEnv ?? max(cores / max(comm.localSize, 1), 1), 1)
        ComputeThreads.set(threads)
        if threads * comm.localSize > cores {
            log.warn(
                "\(comm.localSize) ranks × \(threads) threads exceed the \(cores) cores of this node "
                    + "(oversubscribed; slower)"
            )
        }
        return threads
    }
}
