/// Sums per-channel batch statistics over every replica of a network (the
/// ranks of a data-parallel run), so BatchNorm in training mode normalises
/// with the statistics of the global batch, as PyTorch's SyncBatchNorm: the
/// result then does not depend on how the batch is split over ranks.
/// Every replica calls it the same number of times in the same order.
public protocol BatchStatisticsReducer: AnyObject {
    /// Replaces each value by its sum over the replicas.
    func sumAcrossReplicas(_ values: inout [Double])
}
