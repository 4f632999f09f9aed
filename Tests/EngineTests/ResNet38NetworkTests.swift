import Engine
import Foundation
import XCTest

/// The whole ResNet-38 (width / 16, same topology) with its EPS head, forward
/// and backward in the mode EPS trains it, against PyTorch
/// (scripts/pytorch/make_resnet38_golden.py), and its weights read from a
/// PyTorch state dict saved by torch.save.
final class ResNet38NetworkTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    func loadFixture() throws -> (SafeTensorsFile, SafeTensorsFile) {
        (try SafeTensorsFile.read("\(Self.fixtures)/resnet38_w16_eps.safetensors"),
         try SafeTensorsFile.read("\(Self.fixtures)/resnet38_w16_eps_grads.safetensors"))
    }

    func model(_ golden: SafeTensorsFile) throws -> ClassifierModel {
        let model = ClassifierModel(architecture: .resnet38, method: .eps, numClasses: 20, widthDivisor: 16)
        var params: [String: Tensor] = [:]
        for (name, t) in golden.tensors where name.hasPrefix("param.") { params[String(name.dropFirst(6))] = t }
        try WeightLoading.load(params, into: model.store, path: "fixture")
        return model
    }

    static func assertClose(_ name: String, _ got: Tensor, _ expected: Tensor, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, expected.count, name, file: file, line: line)
        let atol = 2e-5 * expected.maxAbs
        var bad = 0
        for i in 0..<min(got.count, expected.count) where !(abs(got.data[i] - expected.data[i]) <= atol + 1e-4 * abs(expected.data[i])) { bad += 1 }
        XCTAssertEqual(bad, 0, "\(name): \(bad) values out of tolerance (max |diff| \(got.maxAbsDifference(expected)))", file: file, line: line)
    }

    func testForwardAndBackwardMatchPyTorch() throws {
        let (golden, grads) = try loadFixture()
        let model = try model(golden)
        let x = golden.tensors["x"]!
        let context = ForwardContext(training: false)   // dropout off, as the fixture; BN always frozen
        let features = model.backbone.layers.forward(x, context)
        let cam = model.fc8.forward(features, context)
        Self.assertClose("cam", cam, golden.tensors["cam"]!)
        model.store.zeroGradients()
        _ = model.backbone.layers.backward(model.fc8.backward(golden.tensors["grad_cam"]!)!)
        var compared = 0
        for (name, expected) in grads.tensors where name.hasPrefix("grad.") {
            Self.assertClose(name, model.store.gradientTensor(String(name.dropFirst(5))), expected)
            compared += 1
        }
        XCTAssertEqual(compared, 36, "every trainable conv of b3…b7 and fc8")
        // The frozen part (conv1a, b2 stage, every BN) gets no gradient.
        for entry in model.store.entries where !entry.trainable {
            XCTAssertEqual(model.store.gradientTensor(entry.name).maxAbs, 0, entry.name)
        }
        XCTAssertEqual(model.store.entries.filter(\.trainable).count, 36)
    }

    func testPyTorchStateDictLoads() throws {
        let (golden, _) = try loadFixture()
        let fromPth = try WeightFiles.read("\(Self.fixtures)/resnet38_w16_state_dict.pth")
        XCTAssertEqual(fromPth.tensors.count, 229)   // 192 tensors + 37 num_batches_tracked
        let model = ClassifierModel(architecture: .resnet38, method: .eps, numClasses: 20, widthDivisor: 16)
        try WeightLoading.load(fromPth.tensors, into: model.store, path: "pth")
        for (name, t) in golden.tensors where name.hasPrefix("param.") {
            XCTAssertEqual(model.store.tensor(String(name.dropFirst(6))).data, t.data, name)
        }
        // A truncated copy is reported with the file name, never a crash.
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Self.fixtures)/resnet38_w16_state_dict.pth"))
        let cut = NSTemporaryDirectory() + "cut-\(getpid()).pth"
        try data.prefix(data.count - 5000).write(to: URL(fileURLWithPath: cut))
        XCTAssertThrowsError(try WeightFiles.read(cut)) { XCTAssertTrue("\($0)".contains(cut), "\($0)") }
    }

    /// Loading reports every missing, unexpected and mis-shaped name at once.
    func testWeightMismatchListsEveryProblem() throws {
        let (golden, _) = try loadFixture()
        var params: [String: Tensor] = [:]
        for (name, t) in golden.tensors where name.hasPrefix("param.") { params[String(name.dropFirst(6))] = t }
        params.removeValue(forKey: "b4.conv_branch1.weight")
        params["b9.unknown.weight"] = Tensor(zeros: [1])
        params["fc8.weight"] = Tensor(zeros: [20, 256, 1, 1])
        let model = ClassifierModel(architecture: .resnet38, method: .eps, numClasses: 20, widthDivisor: 16)
        XCTAssertThrowsError(try WeightLoading.load(params, into: model.store, path: "w.pth")) { error in
            let text = "\(error)"
            for needle in ["missing b4.conv_branch1.weight", "unexpected b9.unknown.weight", "fc8.weight: shape [20, 256, 1, 1]", "3 problems"] {
                XCTAssertTrue(text.contains(needle), "expected '\(needle)' in \(text)")
            }
        }
    }
}
