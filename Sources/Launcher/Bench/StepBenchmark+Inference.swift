import Engine
import Foundation
import Support

extension StepBenchmark {
    /// VOC's typical image, width × height.
    static let vocImageSize = (width: 500, height: 375)

    /// seg-infer's network part on one VOC-sized image: DeepLab-v2's
    /// multi-scale eval logits (inputs at 1, 0.5 and 0.75, pixel-wise max),
    /// upsampled bilinearly to the image (the argmax after it is a pass over
    /// 21 maps, left out); the mean of `repeats` runs after one warm-up (no
    /// CRF: `bench --crf` times it).
    func segmentationInference(_ model: DeepLabV2Model, repeats: Int, log: RankLog) -> [String: Any] {
        let (w, h) = Self.vocImageSize
        var rng = KeyedRandom(key: KeyedRandom.Stream.benchmarkBatch)
        let image = Tensor(shape: [1, 3, h, w], data: (0..<(3 * h * w)).map { _ in rng.uniform(-2, 2) })
        func once() -> Tensor { BilinearResize.forward(model.inferenceLogits(image), height: h, width: w) }
        _ = once()
        let start = Date()
        for _ in 0..<repeats { _ = once() }
        let seconds = Date().timeIntervalSince(start) / Double(repeats)
        log.info(
            String(format: "inference of a %d×%d image (scales 1, 0.5, 0.75 + max, no CRF): %.3f s", w, h, seconds))
        return ["inference_image_size": [w, h], "inference_seconds_per_image": seconds]
    }
}
