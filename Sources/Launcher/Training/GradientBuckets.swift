import Distributed
import Engine
import Foundation

/// Gradient averaging in buckets: trainable parameters are
/// grouped in reverse declaration order (≈ backward order) into buckets of
/// about `capacity` floats; a bucket's non-blocking allreduce starts as soon
/// as the backward pass has finished every gradient in it, so communication
/// overlaps the rest of the backward pass. `finish` waits and divides by the
/// number of ranks. Every rank sees the same readiness order, so the
/// collectives start in the same order everywhere. With `dtype` bf16 a
/// bucket's gradients go on the wire as bfloat16 (`BF16Staging`).
final class GradientBuckets: GradientAveraging, GradientSink {
    struct Bucket {
        var range: Range<Int>  // offsets in the gradient arena
        var members: Set<Int>  // entry indices
        var pending: Set<Int> = []
        var request: CollectiveRequest? = nil
    }

    let store: ParameterStore
    let comm: Communicator
    private(set) var buckets: [Bucket] = []
    private var bucketOf: [Int: Int] = [:]
    private var inFlight: [CollectiveRequest] = []
    private let staging: BF16Staging?
    /// When each bucket's collective started in the last step and when `finish`
    /// was called, in seconds after `beginStep` (the bench's timeline for docs/SCALING.md).
    private(set) var startSeconds: [Double] = []
    private(set) var finishSeconds: Double = 0
    private var stepStart = DispatchTime.now()

    init(store: ParameterStore, comm: Communicator, capacityFloats: Int, dtype: AllreduceDType = .f32) {
        self.store = store
        self.comm = comm
        staging = dtype == .bf16 && comm.size > 1 ? BF16Staging(count: store.count) : nil
        var current: [Int] = []
        var size = 0
        func close() {
            guard !current.isEmpty else { return }
            let lo = current.map { store.entries[$0].offset }.min()!
            let hi = current.map { store.entries[$0].offset + store.entries[$0].count }.max()!
            for i in current { bucketOf[i] = buckets.count }
            buckets.append(Bucket(range: lo..<hi, members: Set(current)))
            current = []
            size = 0
        }
        for (i, entry) in store.entries.enumerated().reversed() where entry.trainable {
            current.append(i)
            size += entry.count
            if size >= capacityFloats { close() }
        }
        close()
        startSeconds = Array(repeating: 0, count: buckets.count)
    }

    var summary: String {
        "\(buckets.count) bucket(s), \(floatsReduced) floats" + (staging == nil ? "" : " sent as bf16")
    }

    var floatsReduced: Int { buckets.reduce(0) { $0 + $1.range.count } }

    var sink: GradientSink { self }

    func beginStep() {
        for b in buckets.indices {
            buckets[b].pending = buckets[b].members
            buckets[b].request = nil
        }
        inFlight = []
        startSeconds.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        stepStart = DispatchTime.now()
    }

    private var secondsSinceStepStart: Double {
        Double(DispatchTime.now().uptimeNanoseconds - stepStart.uptimeNanoseconds) / 1e9
    }

    /// Starts a bucket's allreduce when its last gradient is reported.
    func gradientReady(_ index: Int) {
        guard let b = bucketOf[index], buckets[b].request == nil else { return }
        buckets[b].pending.remove(index)
        if buckets[b].pending.isEmpty { start(b) }
        comm.progress(inFlight)
    }

    private func start(_ b: Int) {
        let r = buckets[b].range
        let request =
            if let staging {
                comm.startAllreduceSum(bf16: staging.encode(store.gradients, r), count: r.count)
            } else {
                comm.startAllreduceSum(store.gradients + r.lowerBound, count: r.count)
            }
        buckets[b].request = request
        inFlight.append(request)
        startSeconds[b] = secondsSinceStepStart
    }

    /// Starts what is left (in bucket order), waits for all, averages.
    func finish() {
        finishSeconds = secondsSinceStepStart
        for b in buckets.indices where buckets[b].request == nil { start(b) }
        comm.wait(inFlight)
        guard comm.size > 1 else { return }
        let inv = 1 / Float(comm.size)
        for b in buckets {
            if let staging {
                staging.decode(into: store.gradients, b.range, scale: inv)
            } else {
                let p = store.gradients + b.range.lowerBound
                for i in 0..<b.range.count { p[i] *= inv }
            }
        }
    }
}
