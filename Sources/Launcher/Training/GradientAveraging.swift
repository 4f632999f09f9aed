import Distributed
import Engine

/// How a step turns every rank's gradient into the mean over the ranks.
/// `sink` is handed to backward; `finish` returns once the store holds the
/// averaged gradient on every rank.
protocol GradientAveraging: AnyObject {
    var sink: GradientSink { get }
    func beginStep()
    func finish()
    /// One line for the log.
    var summary: String { get }
}

/// One blocking allreduce of the whole gradient arena after backward.
final class FlatAveraging: GradientAveraging {
    let store: ParameterStore
    let comm: Communicator
    let sink: GradientSink = DiscardGradientReports()

    init(store: ParameterStore, comm: Communicator) {
        self.store = store
        self.comm = comm
    }

    var summary: String { "one flat allreduce of \(store.count) floats" }
    func beginStep() {}
    func finish() { comm.allreduceMean(store.gradients, count: store.count) }
}

public enum AllreduceMode: String, CaseIterable, Codable, Sendable {
    case bucketed, flat

    /// The averaging of this mode for a model's store.
    func make(store: ParameterStore, comm: Communicator, bucketMB: Double) -> GradientAveraging {
        switch self {
        case .bucketed:
            return GradientBuckets(store: store, comm: comm, capacityFloats: Int(bucketMB * 1_048_576 / 4))
        case .flat:
            return FlatAveraging(store: store, comm: comm)
        }
    }
}
