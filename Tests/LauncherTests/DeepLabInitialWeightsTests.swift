import Engine
import Foundation
import Launcher
import XCTest

/// `seg-train --weights` reads deeplab-pytorch's init file (no `base.`, a
/// DeepLab-v1 `fc`, no ASPP), its MSC checkpoints and torchvision ResNets
/// (renamed to the caffe layout): every backbone tensor lands, nothing else.
final class DeepLabInitialWeightsTests: XCTestCase {
    func model() -> DeepLabV2Model { DeepLabV2Model(spec: DeepLabV2Spec.resnet50.narrowed(by: 16), numClasses: 21) }

    /// The model's own tensors under the names of each source layout.
    func tensors(of model: DeepLabV2Model, renamedBy rename: (String) -> String?) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (i, entry) in model.store.entries.enumerated() {
            guard let name = rename(entry.name) else { continue }
            out[name] = Tensor(shape: entry.shape, data: (0..<entry.count).map { Float(i) + Float($0) * 1e-3 })
        }
        return out
    }

    func testDeepLabInitFileLoadsTheBackboneAndLeavesASPPNew() throws {
        let source = model()
        var file = tensors(of: source) { $0.hasPrefix("base.aspp.") ? nil : String($0.dropFirst("base.".count)) }
        file["fc.weight"] = Tensor(shape: [91, 8, 1, 1], data: [Float](repeating: 1, count: 91 * 8))
        let (renamed, kind) = DeepLabInitialWeights.rename(file)
        XCTAssertEqual(kind, .deeplabInit)
        let target = model()
        try WeightLoading.load(
            renamed, into: target.store, path: "init.pth", mayBeMissing: { $0.hasPrefix("base.aspp.") },
            mayBeExtra: { $0.hasPrefix("fc.") })
        let name = "base.layer4.block3.conv3x3.conv.weight"
        XCTAssertEqual(target.store.tensor(name).values, renamed[name]!.values)
    }

    func testTorchvisionNamesMapToTheCaffeLayout() {
        XCTAssertEqual(DeepLabInitialWeights.torchvisionName("conv1.weight"), "base.layer1.conv1.conv.weight")
        XCTAssertEqual(DeepLabInitialWeights.torchvisionName("bn1.running_var"), "base.layer1.conv1.bn.running_var")
        XCTAssertEqual(
            DeepLabInitialWeights.torchvisionName("layer3.22.conv2.weight"), "base.layer4.block23.conv3x3.conv.weight")
        XCTAssertEqual(
            DeepLabInitialWeights.torchvisionName("layer1.0.downsample.1.bias"), "base.layer2.block1.shortcut.bn.bias")
        XCTAssertEqual(
            DeepLabInitialWeights.torchvisionName("layer4.2.bn3.weight"), "base.layer5.block3.increase.bn.weight")
        XCTAssertEqual(DeepLabInitialWeights.torchvisionName("fc.weight"), "fc.weight")
        // Every backbone tensor of a torchvision-named file finds its place.
        let target = model()
        var torchvision: [String: Tensor] = [:]
        let inverse = Dictionary(
            uniqueKeysWithValues: target.store.entries.map(\.name).filter { !$0.contains(".aspp.") }.map { ($0, $0) })
        for entry in target.store.entries where !entry.name.contains(".aspp.") {
            // Build the torchvision name by trying the inverse of the mapping.
            let candidates = Self.torchvisionCandidates(entry.name)
            let tv = try? XCTUnwrap(candidates.first { DeepLabInitialWeights.torchvisionName($0) == entry.name })
            XCTAssertNotNil(tv, entry.name)
            if let tv { torchvision[tv] = Tensor(zeros: entry.shape) }
        }
        let (renamed, kind) = DeepLabInitialWeights.rename(torchvision)
        XCTAssertEqual(kind, .torchvision)
        XCTAssertEqual(Set(renamed.keys), Set(inverse.keys))
    }

    /// torchvision names that could map to a caffe-layout name.
    static func torchvisionCandidates(_ name: String) -> [String] {
        let parts = name.split(separator: ".").map(String.init)  // base layerK blockI module conv|bn param
        let param = parts.last!
        if parts[1] == "layer1" { return ["conv1.\(param)", "bn1.\(param)"] }
        let layer = Int(parts[1].dropFirst(5))! - 1
        let block = Int(parts[2].dropFirst(5))! - 1
        let prefix = "layer\(layer).\(block)"
        return ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3"].map { "\(prefix).\($0).\(param)" }
            + ["\(prefix).downsample.0.\(param)", "\(prefix).downsample.1.\(param)"]
    }
}
