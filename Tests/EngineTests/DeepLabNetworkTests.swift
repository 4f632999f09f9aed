import Engine
import Foundation
import XCTest

/// Whole DeepLab-v2 networks with deeplab-pytorch's multi-scale wrapper against the PyTorch
/// fixtures of scripts/pytorch/make_deeplab_golden.py: the four MSC outputs, the four loss terms
/// (labels resized by Pillow's nearest to each output), every trained gradient and, with trained
/// BatchNorm, the running statistics after the step.
final class DeepLabNetworkTests: XCTestCase {
    /// Narrow ResNet-101 (widths / 16) on frozen BN, as deeplab-pytorch fine-tunes.
    func testResNet101FrozenBatchNormMatchesPyTorch() throws {
        let golden = try SafeTensorsFile.read("\(NetworkGolden.fixtures)/deeplabv2_resnet101_w16.safetensors")
        let model = try check(golden, spec: DeepLabV2Spec.resnet101.narrowed(by: 16), batchNorm: .frozen)
        // Frozen BN: the evaluation output is the training lmax.
        NetworkGolden.assertClose(
            "inference lmax", model.inferenceLogits(golden.tensors["x"]!), golden.tensors["lmax"]!)
    }

    /// The tiny preset (widths / 4) with BatchNorm trained on batch statistics, as eps-dist trains it from scratch.
    func testTinyTrainedBatchNormMatchesPyTorch() throws {
        let golden = try SafeTensorsFile.read("\(NetworkGolden.fixtures)/deeplabv2_tiny_w4_bntrain.safetensors")
        _ = try check(golden, spec: DeepLabV2Spec.tiny.narrowed(by: 4), batchNorm: .trainable)
    }

    /// One training step of the fixture's batch, then (weights reloaded) one forward.
    func check(
        _ golden: SafeTensorsFile, spec: DeepLabV2Spec, batchNorm: DeepLabBatchNorm, file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> DeepLabV2Model {
        let classes = Int(golden.metadata["num_classes"] ?? "") ?? 0
        let model = DeepLabV2Model(spec: spec, numClasses: classes, batchNorm: batchNorm)
        let parameters = NetworkGolden.parameters(golden)
        try WeightLoading.load(parameters, into: model.store, path: "fixture")
        let x = golden.tensors["x"]!
        let labels = golden.tensors["labels"]!.values.map { UInt8($0) }

        // The parameters PyTorch's optimizer holds are exactly the trained ones.
        let trained = model.store.entries.filter { entry in
            guard case .parameter = entry.kind else { return false }
            return entry.trainable
        }.map(\.name)
        let expectedTrained = (golden.metadata["trainable"] ?? "").split(separator: ",").map(String.init)
        XCTAssertEqual(Set(trained), Set(expectedTrained), "trained parameters", file: file, line: line)

        model.store.zeroGradients()
        let losses = model.lossAndGradients(images: x, labels: labels, sink: DiscardGradientReports())
        let expectedTerms = golden.tensors["losses"]!.values
        XCTAssertEqual(losses.terms.count, 4, file: file, line: line)
        for (k, (got, expected)) in zip(losses.terms, expectedTerms).enumerated() {
            XCTAssertEqual(got, expected, accuracy: 1e-5 * abs(expected), "loss term \(k)", file: file, line: line)
        }
        var compared = 0
        var worst = (use: 0.0, name: "")
        for (name, expected) in golden.tensors where name.hasPrefix("grad.") {
            let got = model.store.gradientTensor(String(name.dropFirst("grad.".count)))
            NetworkGolden.assertClose(name, got, expected, file: file, line: line)
            let use = Self.toleranceUse(got, expected)
            if use > worst.use { worst = (use, name) }
            compared += 1
        }
        XCTAssertEqual(compared, expectedTrained.count, "gradients compared", file: file, line: line)
        for entry in model.store.entries where !entry.trainable {
            XCTAssertEqual(model.store.gradientTensor(entry.name).maxAbs, 0, entry.name, file: file, line: line)
        }
        for (name, expected) in golden.tensors where name.hasPrefix("running_after.") {
            let got = model.store.tensor(String(name.dropFirst("running_after.".count)))
            NetworkGolden.assertClose(name, got, expected, file: file, line: line)
        }

        try WeightLoading.load(parameters, into: model.store, path: "fixture")  // running statistics as stored
        let (outputs, _) = model.multiScaleLogits(x, ForwardContext(training: true))
        for (name, output) in zip(["l1", "l_0.5", "l_0.75", "lmax"], outputs) {
            NetworkGolden.assertClose(name, output, golden.tensors[name]!, file: file, line: line)
            XCTAssertEqual(output.shape, golden.tensors[name]!.shape, name, file: file, line: line)
            let use = Self.toleranceUse(output, golden.tensors[name]!)
            if use > worst.use { worst = (use, name) }
        }
        print(
            "deeplab fixture \(spec.blocks) / \(spec.widthDivisor): \(compared) gradients; worst use of the "
                + "tolerance \(String(format: "%.3f", worst.use)) (\(worst.name))")
        return model
    }

    /// The largest |got − expected| / (2e-5·max|expected| + 1e-4·|expected|): 1 is the tolerance's edge.
    static func toleranceUse(_ got: Tensor, _ expected: Tensor) -> Double {
        let atol = 2e-5 * Double(expected.maxAbs)
        var worst = 0.0
        for i in 0..<min(got.count, expected.count) {
            let e = Double(expected[i])
            worst = max(worst, abs(Double(got[i]) - e) / (atol + 1e-4 * abs(e)))
        }
        return worst
    }
}
