import Engine
import Foundation
import XCTest

/// ResNet-50 (width / 16) forward and backward against PyTorch
/// (scripts/pytorch/make_resnet50_golden.py): torchvision names and dilation rule.
final class ResNet50GoldenTests: XCTestCase {
    func testForwardAndBackwardMatchPyTorch() throws {
        let golden = try SafeTensorsFile.read(NetworkGolden.fixtures + "/resnet50_w16_eps.safetensors")
        let model = ClassifierModel(architecture: .resnet50, method: .eps, numClasses: 20, widthDivisor: 16)
        XCTAssertEqual(try NetworkGolden.check(model, golden: golden, gradients: golden), 43)
        XCTAssertEqual(model.store.entries.filter(\.trainable).count, 43)
    }
}
