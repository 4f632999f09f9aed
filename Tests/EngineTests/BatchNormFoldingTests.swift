import Engine
import Support
import XCTest

/// Folding each BatchNorm that follows a convolution into it (inference only)
/// leaves the network's output as it was, up to rounding, for non-trivial
/// statistics and affine parameters; and it folds exactly the conv → BN pairs.
final class BatchNormFoldingTests: XCTestCase {
    /// Every BN of the store gets random γ, β, running mean and variance.
    static func randomizeBatchNorms(_ store: ParameterStore, key: UInt64) {
        var rng = KeyedRandom(key: key)
        for entry in store.entries where entry.name.hasSuffix(".running_mean") {
            let prefix = String(entry.name.dropLast(".running_mean".count))
            let ranges: [(String, Float, Float)] = [
                ("weight", 0.5, 1.5), ("bias", -0.3, 0.3), ("running_mean", -0.3, 0.3), ("running_var", 0.4, 2),
            ]
            for (suffix, low, high) in ranges {
                let buffer = store.valueBuffer(store.index(of: "\(prefix).\(suffix)")!)
                for i in buffer.indices { buffer[i] = rng.uniform(low, high) }
            }
        }
    }

    func check(_ arch: Architecture, folds expected: Int, file: StaticString = #filePath, line: UInt = #line) {
        let model = ClassifierModel(architecture: arch, method: .eps, numClasses: 5, widthDivisor: 16)
        model.initialize(seed: 3)
        Self.randomizeBatchNorms(model.store, key: 11)
        let image = GradientCheckTests.random([2, 3, 37, 45], key: 5)
        let before = model.inferenceMaps(image)
        XCTAssertEqual(BatchNormFolding.fold(model.backbone.layers), expected, "pairs folded", file: file, line: line)
        XCTAssertEqual(
            BatchNormFolding.fold(model.backbone.layers), 0, "a second call folds nothing", file: file, line: line)
        let after = model.inferenceMaps(image)
        XCTAssertEqual(after.shape, before.shape, file: file, line: line)
        let worst = after.maxAbsDifference(before) / max(before.maxAbs, 1e-6)
        XCTAssertLessThan(
            worst, 2e-5, "\(arch): folded vs unfolded, relative to the largest map value", file: file, line: line)
        XCTAssertGreaterThan(before.maxAbs, 1e-3, "the check needs a non-trivial output", file: file, line: line)
    }

    /// ResNet-38: one pair per ResBlock (conv_branch2a → bn_branch2b1; the
    /// pre-activation bn_branch2a and bn7 follow residual sums and stay):
    /// b2 (3 blocks), b3 (3), b4 (6), b5 (3); two per bottleneck (b6, b7).
    func testResNet38FoldsItsConvolutionBatchNormPairs() {
        check(.resnet38, folds: 15 + 2 * 2)
    }

    /// ResNet-50 (post-activation): every BN follows a convolution, the stem's included.
    func testResNet50FoldsEveryBlockBatchNorm() {
        // 3 + 4 + 6 + 3 bottlenecks × 3, plus one downsampling BN per stage; the stem's bn1 is outside the blocks.
        check(.resnet50, folds: 16 * 3 + 4)
    }
}
