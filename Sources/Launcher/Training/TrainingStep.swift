import Distributed
import Engine
import Foundation

/// Where one step's time went, in seconds.
struct StepTimes {
    var forward = 0.0, backward = 0.0
    /// Gradient averaging left after backward (exposed), plus the shared scalars.
    var allreduce = 0.0
    /// The bench's: the least `allreduce` over the ranks, that of the rank
    /// that finished backward last; it waits for the wire only, not for another rank.
    var allreduceLastRank = 0.0
    var optimizer = 0.0
    /// From zeroing the gradients to the end of the update.
    var total = 0.0
}

/// What one step reports, identical on every rank.
struct StepResult {
    /// Losses averaged over the ranks.
    var lossCls: Double, lossSal: Double
    var loss: Double { lossCls + lossSal }
    /// Some rank asked to stop after this step (signal, or --stop-at-step).
    var stopRequested: Bool
    /// Some rank's loss, or the averaged gradient, was NaN or infinite: the
    /// optimizer did not run, so the weights are still those of the previous step.
    var nonFiniteLoss: Bool, nonFiniteGradient: Bool
    var nonFinite: Bool { nonFiniteLoss || nonFiniteGradient }
    var times: StepTimes
}

/// One data-parallel training step, the same for `train` and `bench`:
/// zero the gradients → forward, loss and backward of the rank's local batch
/// (BatchNorm in training mode sums its statistics over the ranks; the
/// averaging's sink may start allreduces during backward) → finish the
/// gradient averaging → share the losses, stop vote and divergence flags in one
/// allreduce → optimizer update. Every rank ends with the same weights.
final class TrainingStep {
    let model: TrainableModel
    let comm: Communicator
    let optimizer: Optimizer
    let averaging: GradientAveraging
    /// Ends the rank with a message if a collective hangs (nil: no watchdog).
    let watchdog: CollectiveWatchdog?
    /// The model's BatchNorm statistics over all ranks (SyncBatchNorm).
    let batchStatistics: SyncBatchStatistics

    init(
        model: TrainableModel, comm: Communicator, optimizer: Optimizer, averaging: GradientAveraging,
        watchdog: CollectiveWatchdog? = nil
    ) {
        self.model = model
        self.comm = comm
        self.optimizer = optimizer
        self.averaging = averaging
        self.watchdog = watchdog
        batchStatistics = SyncBatchStatistics(comm: comm, watchdog: watchdog)
        model.synchronizeBatchStatistics(batchStatistics)
    }

    /// Runs step `step` (0-based; the learning-rate schedule reads it) on
    /// one local batch.
    func run(_ batch: LocalBatch, step: Int, stopVote: Bool = false) -> StepResult {
        run([batch], step: step, stopVote: stopVote)
    }

    /// The same with gradient accumulation: the gradients of every sub-batch
    /// add up (the model scales its loss by 1/count); only the last one's
    /// backward reports gradients as final, so buckets start their
    /// allreduce once every sub-batch has added its share.
    func run(_ batches: [LocalBatch], step: Int, stopVote: Bool = false) -> StepResult {
        let start = Date()
        batchStatistics.step = step + 1
        model.store.zeroGradients()
        averaging.beginStep()
        var losses = StepLosses(lossCls: 0, lossSal: 0, forwardSeconds: 0, backwardSeconds: 0)
        for (i, batch) in batches.enumerated() {
            let part = model.accumulateGradients(
                batch, sink: i == batches.count - 1 ? averaging.sink : DiscardGradientReports())
            losses.lossCls += part.lossCls
            losses.lossSal += part.lossSal
            losses.forwardSeconds += part.forwardSeconds
            losses.backwardSeconds += part.backwardSeconds
        }
        let backwardDone = Date()
        watchdog?.arm(step: step + 1, "the gradient allreduce")
        averaging.finish()
        let gradientFinite = model.store.gradientsAreFinite()
        var shared = [
            Double(losses.lossCls), Double(losses.lossSal), stopVote ? 1 : 0, losses.total.isFinite ? 0 : 1,
            gradientFinite ? 0 : 1,
        ]
        comm.allreduceSum(&shared)
        watchdog?.disarm()
        let averaged = Date()
        let nonFiniteLoss = shared[3] > 0
        let nonFiniteGradient = shared[4] > 0
        if !nonFiniteLoss && !nonFiniteGradient { optimizer.step(model.store, step: step) }
        let end = Date()
        let ranks = Double(comm.size)
        return StepResult(
            lossCls: shared[0] / ranks, lossSal: shared[1] / ranks, stopRequested: shared[2] > 0,
            nonFiniteLoss: nonFiniteLoss, nonFiniteGradient: nonFiniteGradient,
            times: StepTimes(
                forward: losses.forwardSeconds, backward: losses.backwardSeconds,
                allreduce: averaged.timeIntervalSince(backwardDone), optimizer: end.timeIntervalSince(averaged),
                total: end.timeIntervalSince(start)))
    }
}
