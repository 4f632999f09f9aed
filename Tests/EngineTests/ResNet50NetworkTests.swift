import Engine
import Foundation
import XCTest

/// ResNet-50 (torchvision names, last stage dilated, output stride 16).
final class ResNet50NetworkTests: XCTestCase {
    func testNamesShapesAndFreezingFollowTorchvision() {
        let model = ClassifierModel(architecture: .resnet50, method: .eps, numClasses: 20)
        let store = model.store
        XCTAssertEqual(store.entry("conv1.weight")?.shape, [64, 3, 7, 7])
        XCTAssertEqual(store.entry("layer1.0.downsample.0.weight")?.shape, [256, 64, 1, 1])
        XCTAssertEqual(store.entry("layer2.0.conv2.weight")?.shape, [128, 128, 3, 3])
        XCTAssertEqual(store.entry("layer4.2.conv3.weight")?.shape, [2048, 512, 1, 1])
        XCTAssertEqual(store.entry("layer4.0.downsample.1.running_var")?.shape, [2048])
        XCTAssertEqual(store.entry("fc8.weight")?.shape, [21, 2048, 1, 1])
        // torchvision's resnet50 state_dict: 320 entries = 53 num_batches_tracked + fc.{weight,bias} + 265 others.
        XCTAssertEqual(store.entries.count, 265 + 1)
        XCTAssertFalse(store.entry("layer1.2.conv3.weight")!.trainable)
        XCTAssertFalse(store.entry("conv1.weight")!.trainable)
        XCTAssertTrue(store.entry("layer2.0.conv1.weight")!.trainable)
        // Parameters: torchvision's 25,557,032 minus fc (2,049,000) plus fc8 (2048 × 21).
        let parameters = store.entries.filter {
            if case .parameter = $0.kind { return true }
            return false
        }.reduce(0) { $0 + $1.count }
        XCTAssertEqual(parameters, 25_557_032 - 2_049_000 + 2048 * 21)
    }

    func testOutputStrideSixteenAndGradient() {
        let model = ClassifierModel(architecture: .resnet50, method: .cam, numClasses: 4, widthDivisor: 16)
        model.initialize(seed: 2)
        // 50 layers without batch statistics: damp the init so activations stay
        // O(1) and the finite difference stays on one linear piece of the ReLUs.
        for entry in model.store.entries where entry.shape.count == 4 {
            let v = model.store.valueBuffer(model.store.index(of: entry.name)!)
            for i in 0..<v.count { v[i] *= 0.5 }
        }
        let cam = model.inferenceMaps(GradientCheckTests.random([1, 3, 64, 48], key: 3))
        XCTAssertEqual(cam.shape, [1, 4, 4, 3])
        let images = GradientCheckTests.random([2, 3, 32, 32], key: 4)
        var sal = GradientCheckTests.random([2, 1, 32, 32], key: 5, scale: 0.5)
        sal = Tensor(shape: sal.shape, data: sal.values.map { $0 + 0.5 })
        GradientCheckTests.checkModel(model, images: images, saliency: sal, labels: [1, 0, 0, 1, 0, 1, 0, 0])
    }
}
