import Engine
import Foundation
import XCTest

/// The whole ResNet-38 (width / 16, same topology) with its EPS head, forward
/// and backward in the mode EPS trains it, against PyTorch
/// (scripts/pytorch/make_resnet38_golden.py), and its weights read from a
/// PyTorch state dict saved by torch.save.
final class ResNet38NetworkTests: XCTestCase {
    static let fixtures = NetworkGolden.fixtures

    func loadFixture() throws -> (SafeTensorsFile, SafeTensorsFile) {
        (
            try SafeTensorsFile.read("\(Self.fixtures)/resnet38_w16_eps.safetensors"),
            try SafeTensorsFile.read("\(Self.fixtures)/resnet38_w16_eps_grads.safetensors")
        )
    }

    func testForwardAndBackwardMatchPyTorch() throws {
        let (golden, grads) = try loadFixture()
        let model = ClassifierModel(architecture: .resnet38, method: .eps, numClasses: 20, widthDivisor: 16)
        XCTAssertEqual(
            try NetworkGolden.check(model, golden: golden, gradients: grads), 36,
            "every trainable conv of b3…b7 and fc8")
        XCTAssertEqual(model.store.entries.filter(\.trainable).count, 36)
    }

    func testPyTorchStateDictLoads() throws {
        let (golden, _) = try loadFixture()
        let fromPth = try WeightFiles.read("\(Self.fixtures)/resnet38_w16_state_dict.pth")
        XCTAssertEqual(fromPth.tensors.count, 229)  // 192 tensors + 37 num_batches_tracked
        let model = ClassifierModel(architecture: .resnet38, method: .eps, numClasses: 20, widthDivisor: 16)
        try WeightLoading.load(fromPth.tensors, into: model.store, path: "pth")
        for (name, t) in golden.tensors where name.hasPrefix("param.") {
            XCTAssertEqual(model.store.tensor(String(name.dropFirst(6))).values, t.values, name)
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
        var params = NetworkGolden.parameters(golden)
        params.removeValue(forKey: "b4.conv_branch1.weight")
        params["b9.unknown.weight"] = Tensor(zeros: [1])
        params["fc8.weight"] = Tensor(zeros: [20, 256, 1, 1])
        // A negative variance would make every BatchNorm reading it NaN.
        let varianceName = params.keys.sorted().first { $0.hasSuffix("running_var") }!
        var variance = params[varianceName]!
        variance[0] = -1
        params[varianceName] = variance
        let model = ClassifierModel(architecture: .resnet38, method: .eps, numClasses: 20, widthDivisor: 16)
        XCTAssertThrowsError(try WeightLoading.load(params, into: model.store, path: "w.pth")) { error in
            let text = "\(error)"
            for needle in [
                "missing b4.conv_branch1.weight", "unexpected b9.unknown.weight", "fc8.weight: shape [20, 256, 1, 1]",
                "\(varianceName): value -1.0 at index 0 is negative", "4 problems",
            ] {
                XCTAssertTrue(text.contains(needle), "expected '\(needle)' in \(text)")
            }
        }
    }
}
