import Data
import Engine
import Launcher
import Support
import XCTest

/// infer runs a scale's image and its mirror as one batch of 2 where that
/// does not raise the peak memory; the fused maps must be those of infer.py's
/// one-at-a-time passes, with and without the BatchNorms folded.
final class MultiScaleCAMTests: XCTestCase {
    func testMirroredPairsInOneBatchFuseAsSeparatePasses() {
        let model = ClassifierModel(architecture: .resnet38, method: .eps, numClasses: 4, widthDivisor: 32)
        model.initialize(seed: 2)
        var rng = KeyedRandom(key: 9)
        let (w, h) = (41, 29)
        let image = Image8(
            width: w, height: h, channels: 3, pixels: (0..<(w * h * 3)).map { _ in UInt8(rng.uniform(0, 255.99)) })
        let labels: [Float] = [1, 0, 1, 1]
        let scales = InferOptions.referenceScales
        let apart = MultiScaleCAM(model: model, scales: scales, batchesMirrors: false).fuse(image, labels: labels)
        let paired = MultiScaleCAM(model: model, scales: scales).fuse(image, labels: labels)
        XCTAssertGreaterThan(apart.sum.maxAbs, 0.1)
        XCTAssertLessThan(paired.sum.maxAbsDifference(apart.sum), 1e-5 * apart.sum.maxAbs)
        XCTAssertEqual(paired.mask(threshold: 0.2), apart.mask(threshold: 0.2))
        // Absent classes get nothing; an image without labels runs nothing.
        XCTAssertEqual(paired.sum.values[(w * h)..<(2 * w * h)].max(), 0)
        XCTAssertEqual(MultiScaleCAM(model: model, scales: scales).fuse(image, labels: [0, 0, 0, 0]).sum.maxAbs, 0)
    }
}
