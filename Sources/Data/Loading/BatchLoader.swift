import Foundation
import Support

/// One rank's local batch, ready for the network.
public struct Batch: Sendable {
    public var step: Int
    public var ids: [String]
    public var images: [Float]  // [n, 3, crop, crop]
    public var saliency: [Float]?  // [n, 1, crop, crop]
    public var labels: [Float]  // [n, C]
    public var masks: [UInt8]?  // [n, crop, crop] label maps, 255 = ignore (segmentation)
    public var sampleKeys: [UInt64]
    public var count: Int { ids.count }
}

/// Decodes and augments this rank's batches (each sample by the
/// `SampleTransform`: EPS or segmentation) on `workers` background threads
/// (worker w builds steps first + w, first + w + workers, ...), at most
/// `depth` steps ahead of the compute, so memory stays bounded.
public final class BatchLoader: @unchecked Sendable {
    let dataset: Dataset
    let sampler: GlobalSampler
    let transform: any SampleTransform
    let rank: Int, ranks: Int
    private let lock = NSCondition()
    private var ready: [Int: Result<Batch, Error>] = [:]
    private let firstStep: Int
    private let endStep: Int
    private var consumed: Int
    private let workers: Int
    private let depth: Int
    private var stopped = false

    public init(
        dataset: Dataset, sampler: GlobalSampler, transform: any SampleTransform, rank: Int, ranks: Int,
        steps: Range<Int>, workers: Int = 2, prefetch depth: Int? = nil
    ) {
        self.dataset = dataset
        self.sampler = sampler
        self.transform = transform
        self.rank = rank
        self.ranks = ranks
        self.firstStep = steps.lowerBound
        self.endStep = steps.upperBound
        self.consumed = steps.lowerBound
        self.workers = max(workers, 1)
        self.depth = max(depth ?? 2 * self.workers, self.workers)
    }

    /// The EPS loader (`EPSSampleTransform`).
    public convenience init(
        dataset: Dataset, sampler: GlobalSampler, augmentation: EPSAugmentation, rank: Int, ranks: Int,
        withSaliency: Bool, steps: Range<Int>, workers: Int = 2, prefetch depth: Int? = nil
    ) {
        self.init(
            dataset: dataset, sampler: sampler,
            transform: EPSSampleTransform(augmentation: augmentation, withSaliency: withSaliency), rank: rank,
            ranks: ranks, steps: steps, workers: workers, prefetch: depth)
    }

    /// Builds the batch of `step` in the calling thread.
    public func makeBatch(step: Int) throws -> Batch {
        let indices = sampler.localBatch(step: step, rank: rank, ranks: ranks)
        let crop = transform.cropSize
        var images = [Float]()
        var saliency = [Float]()
        var masks = [UInt8]()
        var labels = [Float]()
        var keys = [UInt64]()
        images.reserveCapacity(indices.count * 3 * crop * crop)
        for index in indices {
            let sample = dataset.samples[index]
            let key = sampler.sampleKey(step: step, index: index)
            var rng = KeyedRandom(key: key, stream: KeyedRandom.Stream.augmentation)
            let out = try transform.load(sample, rng: &rng)
            images += out.image
            if let s = out.saliency { saliency += s }
            if let m = out.mask { masks += m }
            labels += sample.labels
            keys.append(key)
        }
        return Batch(
            step: step, ids: indices.map { dataset.samples[$0].id }, images: images,
            saliency: transform.producesSaliency ? saliency : nil, labels: labels,
            masks: transform.producesMasks ? masks : nil, sampleKeys: keys)
    }

    public func start() {
        for w in 0..<workers {
            let t = Thread { [weak self] in self?.produce(worker: w) }
            t.name = "batch-loader-\(w)"
            t.start()
        }
    }

    private func produce(worker: Int) {
        var step = firstStep + worker
        while step < endStep {
            lock.lock()
            while !stopped && step - consumed >= depth { lock.wait() }
            if stopped {
                lock.unlock()
                return
            }
            lock.unlock()
            let result = Result { try makeBatch(step: step) }
            lock.lock()
            ready[step] = result
            lock.broadcast()
            lock.unlock()
            step += workers
        }
    }

    /// The batch of `step` (waits for the producer). Steps come in order.
    public func next(step: Int) throws -> Batch {
        lock.lock()
        defer { lock.unlock() }
        while ready[step] == nil { lock.wait() }
        let result = ready.removeValue(forKey: step)!
        consumed = step + 1
        lock.broadcast()
        return try result.get()
    }

    public func stop() {
        lock.lock()
        stopped = true
        lock.broadcast()
        lock.unlock()
    }
}
