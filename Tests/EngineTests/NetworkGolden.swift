import Engine
import Foundation
import XCTest

/// A whole network against a PyTorch fixture (scripts/pytorch/make_*_golden.py):
/// load `param.*`, run forward in EPS's training mode without dropout, compare
/// `cam`, run backward from `grad_cam`, compare every `grad.*`.
enum NetworkGolden {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        .path

    static func parameters(_ golden: SafeTensorsFile) -> [String: Tensor] {
        var params: [String: Tensor] = [:]
        for (name, t) in golden.tensors where name.hasPrefix("param.") { params[String(name.dropFirst(6))] = t }
        return params
    }

    /// Returns how many gradients were compared.
    static func check(
        _ model: ClassifierModel, golden: SafeTensorsFile, gradients: SafeTensorsFile,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Int {
        try WeightLoading.load(parameters(golden), into: model.store, path: "fixture")
        let context = ForwardContext(training: false)  // dropout off, as the fixtures; BN always frozen
        let cam = model.fc8.forward(model.backbone.layers.forward(golden.tensors["x"]!, context), context)
        assertClose("cam", cam, golden.tensors["cam"]!, file: file, line: line)
        model.store.zeroGradients()
        let sink = DiscardGradientReports()
        _ = model.backbone.layers.backward(model.fc8.backward(golden.tensors["grad_cam"]!, sink: sink)!, sink: sink)
        var compared = 0
        for (name, expected) in gradients.tensors where name.hasPrefix("grad.") {
            assertClose(name, model.store.gradientTensor(String(name.dropFirst(5))), expected, file: file, line: line)
            compared += 1
        }
        // The frozen part gets no gradient.
        for entry in model.store.entries where !entry.trainable {
            XCTAssertEqual(model.store.gradientTensor(entry.name).maxAbs, 0, entry.name, file: file, line: line)
        }
        return compared
    }

    /// The golden README's tolerance: |a − e| ≤ 2e-5·max|e| + 1e-4·|e|.
    static func assertClose(
        _ name: String, _ got: Tensor, _ expected: Tensor, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(got.count, expected.count, name, file: file, line: line)
        let atol = 2e-5 * expected.maxAbs
        var bad = 0
        for i in 0..<min(got.count, expected.count) where !(abs(got[i] - expected[i]) <= atol + 1e-4 * abs(expected[i]))
        { bad += 1 }
        XCTAssertEqual(
            bad, 0, "\(name): \(bad) values out of tolerance (max |diff| \(got.maxAbsDifference(expected)))",
            file: file, line: line)
    }
}
