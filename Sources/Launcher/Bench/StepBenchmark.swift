import Distributed
import Engine
import Foundation
import Support

/// `eps-dist bench`: times the training step of a network (forward, loss,
/// backward, gradient averaging, optimizer) per layer, and cblas_sgemm on the
/// same GEMM shapes in the same process, so the step's GFLOP/s is read
/// against the machine's own ceiling. Under MPI it also compares flat and
/// bucketed gradient averaging and raw MPI_Allreduce bandwidth.
struct StepBenchmark {
    let options: BenchOptions
    let comm: Communicator

    func run() throws -> [String: Any] {
        let o = options
        let isSegmentation = if case .segmentation = o.arch { true } else { false }
        guard (1...1024).contains(o.batchSize), (8...TrainSettings.maxSide).contains(o.cropSize),
            (1...1000).contains(o.steps), (1...(isSegmentation ? 255 : 1000)).contains(numClasses),
            o.widthDivisor >= 1, o.bucketMb.isFinite, o.bucketMb > 0, o.bucketMb <= 1_000_000,
            o.threads.map({ $0 >= 1 }) ?? true
        else {
            throw UsageError(
                "bench takes --batch-size 1…1024, --crop-size 8…\(TrainSettings.maxSide), --steps 1…1000, "
                    + "--num-classes 1…1000 (1…255 for DeepLab-v2's label maps), --width-divisor ≥ 1, --threads ≥ 1 "
                    + "and --bucket-mb in (0, 1e6]")
        }
        if isSegmentation && o.saveInitial != nil {
            throw UsageError("bench --save-initial saves the classifier only; drop it with --arch \(o.arch.name)")
        }
        let log = RankLog(rank: comm.rank)
        let threads = ThreadPlan.configure(
            requested: o.threads, convAlgorithm: o.convAlgorithm, comm: comm, log: log)
        try TrainingMemory.check(
            network: o.arch.name, bytesPerPixel: o.arch.trainingBytesPerPixel / Double(o.widthDivisor),
            localBatch: o.batchSize, crop: o.cropSize, comm: comm)
        let subject = makeSubject()
        let model = subject.model
        if o.plan {
            log.info("backward plan of \(subject.label) (what each layer keeps and computes):")
            log.info(subject.planTable)
        }
        if let path = o.saveInitial, let classifier = model as? ClassifierModel {
            try RankDiscipline.onRoot(comm) {
                try Checkpoint.make(classifier, step: 0, seed: 1, configYAML: "", includeOptimizer: false)
                    .write(to: path)
            }
        }
        let batch = subject.batch
        let optimizer = subject.optimizer
        var nonFiniteSteps = 0
        let store = model.store
        comm.collectiveProgress = o.mpiProgress
        let buckets = GradientBuckets(
            store: store, comm: comm, capacityFloats: Int(o.bucketMb * 1_048_576 / 4), dtype: o.allreduceDtype)
        let bucketedStep = TrainingStep(model: model, comm: comm, optimizer: optimizer, averaging: buckets)
        let flatStep = TrainingStep(
            model: model, comm: comm, optimizer: optimizer,
            averaging: FlatAveraging(store: store, comm: comm, dtype: o.allreduceDtype))

        /// Mean times of `o.steps` steps (a barrier before each, so ranks start together).
        func average(_ trainingStep: TrainingStep) -> StepTimes {
            var sum = StepTimes()
            for _ in 0..<o.steps {
                comm.barrier()
                let result = trainingStep.run(batch, step: 0)
                if result.nonFinite { nonFiniteSteps += 1 }
                let t = result.times
                sum.total += t.total
                sum.forward += t.forward
                sum.backward += t.backward
                sum.allreduce += t.allreduce
                sum.allreduceLastRank -= Double(comm.allreduceMax(-Int(t.allreduce * 1e9))) / 1e9
                sum.optimizer += t.optimizer
            }
            let n = Double(o.steps)
            return StepTimes(
                forward: sum.forward / n, backward: sum.backward / n, allreduce: sum.allreduce / n,
                allreduceLastRank: sum.allreduceLastRank / n, optimizer: sum.optimizer / n, total: sum.total / n)
        }

        let b = o.batchSize
        let c = o.cropSize
        log.info(
            "bench: \(subject.label), crop \(c), batch \(b) per rank, \(comm.size) rank(s) × "
                + "\(threads) thread(s), \(o.steps) timed step(s)"
        )
        _ = bucketedStep.run(batch, step: 0)  // warm-up: buffers, BLAS threads
        LayerProfiler.shared.reset()
        LayerProfiler.shared.enabled = true
        _ = bucketedStep.run(batch, step: 0)  // one profiled step: per-layer times and work
        LayerProfiler.shared.enabled = false
        let records = LayerProfiler.shared.records
        let heapBefore = HeapAllocationCounter.read()
        let poolBefore = BufferPool.shared.statistics
        let bucketed = average(bucketedStep)
        let timeline = bucketTimeline(buckets)
        let heapAfter = HeapAllocationCounter.read()
        let poolAfter = BufferPool.shared.statistics
        let flat = comm.size > 1 ? average(flatStep) : bucketed

        let macs = records.reduce(0) { $0 + $1.forwardMACs + $1.backwardMACs }
        let stepGFLOP = 2 * Double(macs) / 1e9
        let sgemm = SgemmBenchmark.gflops(Self.gemmShapes(records))
        let stepGFLOPS = stepGFLOP / bucketed.total
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peakMB = Double(usage.ru_maxrss) / 1024

        var result: [String: Any] = [
            "crop_size": c, "batch_size": b, "threads": threads, "conv_algorithm": o.convAlgorithm.rawValue,
            "ranks": comm.size, "width_divisor": o.widthDivisor,
            "step_seconds": bucketed.total, "step_gflop": stepGFLOP, "step_gflops": stepGFLOPS,
            "sgemm_gflops": sgemm.gflops, "step_vs_sgemm": stepGFLOPS / sgemm.gflops,
            "forward_seconds": bucketed.forward, "backward_seconds": bucketed.backward,
            "allreduce_seconds": bucketed.allreduce, "optimizer_seconds": bucketed.optimizer,
            "images_per_s": Double(b * comm.size) / bucketed.total, "peak_rss_mb": peakMB,
            "parameters": store.count, "non_finite_steps": nonFiniteSteps,
            "allreduce_dtype": o.allreduceDtype.rawValue, "mpi_progress": comm.collectiveProgress.rawValue,
            "bucket_timeline": timeline,
            "layers": records.map { r -> [String: Any] in
                let flop = 2 * Double(r.forwardMACs + r.backwardMACs)
                let seconds = r.forwardSeconds + r.backwardSeconds
                return [
                    "name": r.name, "input": [r.geometry.n, r.geometry.h, r.geometry.w],
                    "forward_ms": r.forwardSeconds * 1000, "backward_ms": r.backwardSeconds * 1000,
                    "gflops": seconds > 0 ? flop / seconds / 1e9 : 0,
                ]
            },
        ]
        log.info(
            String(
                format: "step %.3f s  (forward %.3f, backward %.3f, exposed allreduce %.4f, optimizer %.4f)",
                bucketed.total, bucketed.forward, bucketed.backward, bucketed.allreduce, bucketed.optimizer))
        log.info(
            String(
                format:
                    "step %.1f GFLOP → %.1f GFLOP/s; sgemm on the same shapes %.1f GFLOP/s; ratio %.3f; peak "
                    + "RSS %.0f MB",
                stepGFLOP, stepGFLOPS, sgemm.gflops, stepGFLOPS / sgemm.gflops, peakMB))
        let poolMisses = Double(poolAfter.heapAllocations - poolBefore.heapAllocations) / Double(o.steps)
        let poolMissBytes = Double(poolAfter.heapBytes - poolBefore.heapBytes) / Double(o.steps)
        result.merge(subject.identity) { a, _ in a }
        result["tensor_buffers_from_heap_per_step"] = poolMisses
        result["tensor_bytes_from_heap_per_step"] = poolMissBytes
        result["tensor_buffers_reused_per_step"] = Double(poolAfter.reuses - poolBefore.reuses) / Double(o.steps)
        result["tensor_pool_peak_mb"] = Double(poolAfter.peakBytes) / 1e6
        log.info(
            String(
                format:
                    "tensor buffers per steady-state step: %.0f from the heap (%.3f MB), %.0f reused; pool peak "
                    + "%.0f MB",
                poolMisses, poolMissBytes / 1e6, Double(poolAfter.reuses - poolBefore.reuses) / Double(o.steps),
                Double(poolAfter.peakBytes) / 1e6))
        if let heapBefore, let heapAfter {
            let calls = Double(heapAfter.calls - heapBefore.calls) / Double(o.steps)
            let bytes = Double(heapAfter.bytes - heapBefore.bytes) / Double(o.steps)
            result["heap_allocations_per_step"] = calls
            result["heap_allocated_bytes_per_step"] = bytes
            log.info(String(format: "heap allocations per steady-state step: %.0f calls, %.3f MB", calls, bytes / 1e6))
        }
        if o.allreduceDtype == .bf16 {
            let conversion = bf16ConversionSeconds(store: store)
            result["bf16_encode_decode_seconds"] = conversion.codec
            result["bf16_accumulate_seconds"] = conversion.accumulate
        }
        if comm.size > 1 {
            result["flat_step_seconds"] = flat.total
            result["flat_allreduce_seconds"] = flat.allreduce
            result["bucketed_allreduce_seconds"] = bucketed.allreduce
            result["bucketed_allreduce_last_rank_seconds"] = bucketed.allreduceLastRank
            result["flat_allreduce_last_rank_seconds"] = flat.allreduceLastRank
            result.merge(allreduceBandwidth(store: store, buckets: buckets)) { a, _ in a }
            log.info(
                String(
                    format:
                        "exposed allreduce per step: flat %.4f s, bucketed %.4f s (rank 0); on the rank that ended "
                        + "backward last: flat %.4f s, bucketed %.4f s", flat.allreduce, bucketed.allreduce,
                    flat.allreduceLastRank, bucketed.allreduceLastRank))
        }
        if o.compareConv {
            let timed = { () -> Double in
                comm.barrier()
                return bucketedStep.run(batch, step: 0).times.total
            }
            result.merge(compareConvAlgorithms(o.convAlgorithm, rounds: o.steps, step: timed, log: log)) { a, _ in a }
        }
        if let deepLab = model as? DeepLabV2Model {
            result.merge(segmentationInference(deepLab, repeats: o.steps, log: log)) { a, _ in a }
        }
        if nonFiniteSteps > 0 {
            log.warn("\(nonFiniteSteps) timed step(s) had a non-finite loss or gradient (their update was skipped)")
        }
        return result
    }

    func log(_ s: String) { if comm.isRoot { print(s) } }
}
