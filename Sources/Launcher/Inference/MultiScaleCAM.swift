import Data
import Engine

/// The CAMs of one image as the reference's infer.py computes them
/// (docs/REFERENCE.md, section 5): every scale resized with Pillow's bicubic,
/// normalised, run with its mirror image, and fused by CAMFusion. `infer`
/// and `bench --infer` both call it.
///
/// infer.py runs the 2·scales inputs one at a time; here a scale's image and
/// its mirror run as one batch of 2 (one pass over the weights for both,
/// twice the columns per GEMM) when the pair has no more pixels than the
/// largest scale's image alone, and one after the other above that: the
/// batching never raises the peak memory, which the largest scale sets
/// (scales 0.5 1 1.5 2: 0.5 and 1 run as pairs).
public struct MultiScaleCAM {
    public let model: ClassifierModel
    public let scales: [Float]
    /// False runs every input alone, as infer.py (the tests' comparison).
    public var batchesMirrors = true

    public init(model: ClassifierModel, scales: [Float], batchesMirrors: Bool = true) {
        self.model = model
        self.scales = scales
        self.batchesMirrors = batchesMirrors
    }

    /// The fused maps of `image`; nothing runs when no label is set.
    public func fuse(_ image: Image8, labels: [Float]) -> CAMFusion {
        var fusion = CAMFusion(
            numClasses: model.numClasses, height: image.height, width: image.width, labels: labels,
            method: model.method)
        guard labels.contains(where: { $0 > 1e-5 }) else { return fusion }
        func size(_ scale: Float) -> (w: Int, h: Int) {
            (
                max(PillowResize.roundHalfEven(Double(image.width) * Double(scale)), 1),
                max(PillowResize.roundHalfEven(Double(image.height) * Double(scale)), 1)
            )
        }
        let largest = scales.map { size($0).w * size($0).h }.max() ?? 0
        for scale in scales {
            let (w, h) = size(scale)
            let resized = PillowResize.resize(image, width: w, height: h)
            let planes = EPSAugmentation.normalizedPlanes(resized, model.architecture.inputNormalization)
            let input = Tensor(shape: [1, 3, h, w], data: planes.flatMap { $0 })
            let mirrored = input.flippedHorizontally()
            if batchesMirrors && 2 * h * w <= largest {
                let maps = model.inferenceMaps(Tensor(stacking: [input, mirrored]))
                fusion.add(maps: maps.batchItem(0), flipped: false)
                fusion.add(maps: maps.batchItem(1), flipped: true)
            } else {
                fusion.add(maps: model.inferenceMaps(input), flipped: false)
                fusion.add(maps: model.inferenceMaps(mirrored), flipped: true)
            }
        }
        return fusion
    }
}
