import Data
import Distributed
import Engine
import Foundation
import Support

/// `eps-dist bench --infer`: what `infer` does for one image, on a random
/// VOC-sized (500×375) picture with every label set: the reference's scales
/// 0.5 1 1.5 2 × flip through MultiScaleCAM (the same code), the fusion,
/// normalisation and mask; seconds per image (mean of --steps after one
/// warm-up) and the process's peak RSS, which nothing else in the process
/// raised (no training step runs). bench/pytorch_infer.py times PyTorch on
/// the official procedure for the same image size and threads.
struct CAMInferenceBenchmark {
    let options: BenchOptions
    let comm: Communicator

    func run() throws -> [String: Any] {
        let o = options
        guard case .classifier(let arch) = o.arch else {
            throw UsageError("bench --infer times a classifier's CAM inference; drop it for \(o.arch.name)")
        }
        guard (1...1000).contains(o.steps), o.widthDivisor >= 1, o.threads.map({ $0 >= 1 }) ?? true,
            (1...1000).contains(o.numClasses ?? 20)
        else {
            throw UsageError(
                "bench --infer takes --steps 1…1000, --width-divisor ≥ 1, --threads ≥ 1 and --num-classes 1…1000")
        }
        let log = RankLog(rank: comm.rank)
        let threads = ThreadPlan.configure(requested: o.threads, convAlgorithm: o.convAlgorithm, comm: comm, log: log)
        let classes = o.numClasses ?? 20
        let model = ClassifierModel(
            architecture: arch, method: o.method, numClasses: classes, widthDivisor: o.widthDivisor)
        model.initialize(seed: 1)
        if o.inferBaseline {
            BufferPool.shared.keepsReleasedBuffers = false
            Conv2dFast.forwardBandFloats = Int.max / 8
        } else {
            Inferencer.prepareForInference(model)
        }
        let (w, h) = StepBenchmark.vocImageSize
        var rng = KeyedRandom(key: KeyedRandom.Stream.benchmarkBatch)
        let image = Image8(
            width: w, height: h, channels: 3, pixels: (0..<(w * h * 3)).map { _ in UInt8(rng.uniform(0, 255.99)) })
        let labels = [Float](repeating: 1, count: classes)
        let cam = MultiScaleCAM(model: model, scales: InferOptions.referenceScales, batchesMirrors: !o.inferBaseline)
        let variant =
            o.inferBaseline
            ? "baseline: inputs alone, BN unfolded, whole-image im2col" : "batched mirrors, BN folded, banded im2col"
        func once() { _ = cam.fuse(image, labels: labels).mask(threshold: 0.2) }
        log.info(
            "bench --infer: \(arch.rawValue) \(o.method.rawValue), \(w)×\(h), scales 0.5 1 1.5 2 × flip, "
                + "\(threads) thread(s), conv \(o.convAlgorithm.rawValue); \(variant)")
        once()
        let start = Date()
        for _ in 0..<o.steps { once() }
        let seconds = Date().timeIntervalSince(start) / Double(o.steps)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peakMB = Double(usage.ru_maxrss) / 1024
        log.info(String(format: "CAM inference %.3f s/image, peak RSS %.0f MB", seconds, peakMB))
        return [
            "arch": arch.rawValue, "method": o.method.rawValue, "threads": threads,
            "conv_algorithm": o.convAlgorithm.rawValue, "infer_image_size": [w, h],
            "infer_scales": InferOptions.referenceScales.map { Double($0) }, "infer_seconds_per_image": seconds,
            "infer_peak_rss_mb": peakMB, "infer_variant": o.inferBaseline ? "baseline" : "optimized",
        ]
    }
}
