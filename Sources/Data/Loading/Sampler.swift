import Support

/// The global sample order (docs/ARCHITECTURE.md, "Random streams"): a seeded permutation per epoch,
/// drop-last batches of the global size, each rank taking its contiguous
/// share. Depends only on (seed, step), never on the number of ranks, so any
/// rank count and any resume point see the same stream.
public struct GlobalSampler: Sendable {
    public let datasetSize: Int
    public let globalBatch: Int
    public let seed: UInt64

    public init(datasetSize: Int, globalBatch: Int, seed: UInt64) {
        precondition(datasetSize >= globalBatch && globalBatch > 0, "dataset smaller than one batch")
        self.datasetSize = datasetSize
        self.globalBatch = globalBatch
        self.seed = seed
    }

    public var batchesPerEpoch: Int { datasetSize / globalBatch }

    public func epoch(ofStep step: Int) -> Int { step / batchesPerEpoch }

    public func permutation(epoch: Int) -> [Int] {
        var rng = KeyedRandom(key: KeyedRandom.key(seed, UInt64(epoch), KeyedRandom.Stream.epochShuffle))
        return rng.permutation(datasetSize)
    }

    /// Dataset indices of the global batch of `step`.
    public func globalBatch(step: Int) -> [Int] {
        let position = step % batchesPerEpoch
        let perm = permutation(epoch: epoch(ofStep: step))
        return Array(perm[(position * globalBatch)..<((position + 1) * globalBatch)])
    }

    /// This rank's share of the global batch of `step`.
    public func localBatch(step: Int, rank: Int, ranks: Int) -> [Int] {
        let local = globalBatch / ranks
        return Array(globalBatch(step: step)[(rank * local)..<((rank + 1) * local)])
    }

    /// The random key of one sample draw: (seed, epoch, dataset index).
    public func sampleKey(step: Int, index: Int) -> UInt64 {
        KeyedRandom.key(seed, UInt64(epoch(ofStep: step)), UInt64(index))
    }
}
