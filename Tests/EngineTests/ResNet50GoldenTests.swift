import Engine
import Foundation
import XCTest

/// ResNet-50 (width / 16) forward and backward against PyTorch
/// (scripts/pytorch/make_resnet50_golden.py): torchvision names and dilation rule.
final class ResNet50GoldenTests: XCTestCase {
    func testForwardAndBackwardMatchPyTorch() throws {
        let path = ResNet38NetworkTests.fixtures + "/resnet50_w16_eps.safetensors"
        let golden = try SafeTensorsFile.read(path)
        let model = ClassifierModel(architecture: .resnet50, method: .eps, numClasses: 20, widthDivisor: 16)
        var params: [String: Tensor] = [:]
        for (name, t) in golden.tensors where name.hasPrefix("param.") { params[String(name.dropFirst(6))] = t }
        try WeightLoading.load(params, into: model.store, path: path)
        let context = ForwardContext(training: false)
        let cam = model.fc8.forward(model.backbone.layers.forward(golden.tensors["x"]!, context), context)
        ResNet38NetworkTests.assertClose("cam", cam, golden.tensors["cam"]!)
        model.store.zeroGradients()
        _ = model.backbone.layers.backward(model.fc8.backward(golden.tensors["grad_cam"]!)!)
        var compared = 0
        for (name, expected) in golden.tensors where name.hasPrefix("grad.") {
            ResNet38NetworkTests.assertClose(name, model.store.gradientTensor(String(name.dropFirst(5))), expected)
            compared += 1
        }
        XCTAssertEqual(compared, 43)
        XCTAssertEqual(model.store.entries.filter(\.trainable).count, 43)
    }
}
