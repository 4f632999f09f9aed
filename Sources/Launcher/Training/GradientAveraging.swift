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
    private let staging: BF16Staging?

    init(store: ParameterStore, comm: Communicator, dtype: AllreduceDType = .f32) {
        self.store = store
        self.comm = comm
        staging = dtype == .bf16 && comm.size > 1 ? BF16Staging(count: store.count) : nil
    }

    var summary: String { "one flat allreduce of \(store.count) floats" + (staging == nil ? "" : " sent as bf16") }
    func beginStep() {}
    func finish() {
        guard let staging else { return comm.allreduceMean(store.gradients, count: store.count) }
        let all = 0..<store.count
        comm.allreduceSum(bf16: staging.encode(store.gradients, all), count: store.count)
        staging.decode(into: store.gradients, all, scale: 1 / Float(comm.size))
    }
}

/// The bfloat16 copy of the gradient arena that `--allreduce-dtype bf16`
/// sends: a range is encoded when its collective starts and decoded (and
/// divided by the rank count) when every collective is done.
final class BF16Staging {
    private let buffer: UnsafeMutablePointer<UInt16>

    init(count: Int) { buffer = .allocate(capacity: max(count, 1)) }
    deinit { buffer.deallocate() }

    /// Encodes gradients[range]; returns where the encoded range starts.
    func encode(_ gradients: UnsafeMutablePointer<Float>, _ range: Range<Int>) -> UnsafeMutablePointer<UInt16> {
        BFloat16.encode(gradients + range.lowerBound, to: buffer + range.lowerBound, count: range.count)
        return buffer + range.lowerBound
    }

    func decode(into gradients: UnsafeMutablePointer<Float>, _ range: Range<Int>, scale: Float) {
        BFloat16.decode(buffer + range.lowerBound, to: gradients + range.lowerBound, count: range.count, scale: scale)
    }
}

extension AllreduceDType {
    /// Appended to a run's resume signature: a bf16 run resumes only as bf16
    /// (nothing for f32, so the checkpoints of earlier versions still resume).
    var resumeSuffix: String { self == .f32 ? "" : " allreduce \(rawValue)" }
}

public enum AllreduceMode: String, CaseIterable, Codable, Sendable {
    case bucketed, flat

    /// The averaging of this mode for a model's store.
    func make(store: ParameterStore, comm: Communicator, bucketMB: Double, dtype: AllreduceDType) -> GradientAveraging {
        switch self {
        case .bucketed:
            return GradientBuckets(
                store: store, comm: comm, capacityFloats: Int(bucketMB * 1_048_576 / 4), dtype: dtype)
        case .flat:
            return FlatAveraging(store: store, comm: comm, dtype: dtype)
        }
    }
}
