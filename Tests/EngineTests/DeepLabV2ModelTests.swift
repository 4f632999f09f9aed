import Engine
import Foundation
import Support
import XCTest

/// DeepLab-v2's structure against deeplab-pytorch's numbers
/// (reference/stage2-and-crf.md, section 2.2), and the multi-scale loss's
/// split over replicas. The values against PyTorch are in the golden cases.
final class DeepLabV2ModelTests: XCTestCase {
    func testResNet101HasDeepLabPytorchsParameterCountsAndNames() {
        let model = DeepLabV2Model(spec: .resnet101, numClasses: 21)
        let parameters = model.store.entries.filter {
            if case .parameter = $0.kind { return $0.shape.count == 4 || $0.name.contains("aspp") }
            return false
        }
        let backbone = parameters.filter { !$0.name.contains("aspp") }.map(\.count).reduce(0, +)
        let aspp = parameters.filter { $0.name.contains("aspp") }.map(\.count).reduce(0, +)
        XCTAssertEqual(backbone, 42_394_816)
        XCTAssertEqual(aspp, 1_548_372)
        for name in [
            "base.layer1.conv1.conv.weight", "base.layer1.conv1.bn.running_var",
            "base.layer2.block1.shortcut.conv.weight",
            "base.layer3.block1.reduce.conv.weight", "base.layer4.block23.increase.bn.bias", "base.aspp.c3.bias",
        ] {
            XCTAssertNotNil(model.store.entry(name), name)
        }
        XCTAssertNil(model.store.entry("base.layer2.block2.shortcut.conv.weight"))
        // Frozen BN: only convolutions and the head train.
        XCTAssertFalse(model.store.entry("base.layer1.conv1.bn.weight")!.trainable)
        XCTAssertEqual(model.store.entry("base.layer3.block1.reduce.conv.weight")!.shape, [128, 256, 1, 1])
    }

    func testOutputSizesOfA321CropAreThoseOfDeepLabPytorch() {
        let model = DeepLabV2Model(spec: DeepLabV2Spec.resnet101.narrowed(by: 16), numClasses: 5)
        model.initialize(seed: 1)
        let x = Tensor(shape: [1, 3, 321, 321], data: (0..<(3 * 321 * 321)).map { Float($0 % 97) / 97 - 0.5 })
        let (outputs, _) = model.multiScaleLogits(x, .inference)
        XCTAssertEqual(outputs.map { [$0.shape[2], $0.shape[3]] }, [[41, 41], [21, 21], [31, 31], [41, 41]])
        XCTAssertEqual(model.inferenceLogits(x).shape, [1, 5, 41, 41])
    }

    /// A global batch of 2 on one replica, and split 1 + 1 over two replicas
    /// whose loss denominators and BN statistics are summed: the averaged
    /// gradient and the loss must be the same (the rank-count promise).
    func testSplitOverReplicasEqualsTheWholeBatch() throws {
        let (images, labels) = Self.batch(n: 2, size: 45, classes: 4)
        func model() -> DeepLabV2Model {
            let m = DeepLabV2Model(spec: DeepLabV2Spec.tiny.narrowed(by: 4), numClasses: 4, batchNorm: .trainable)
            m.initialize(seed: 7)
            return m
        }
        let whole = model()
        let wholeLoss = whole.lossAndGradients(images: images, labels: labels, sink: DiscardGradientReports())

        let replicas = [model(), model()]
        let reducer = InProcessReducer(replicas: 2)
        for replica in replicas { replica.synchronizeBatchStatistics(reducer) }
        let plane = 45 * 45
        nonisolated(unsafe) var losses = [Float](repeating: 0, count: 2)
        DispatchQueue.concurrentPerform(iterations: 2) { r in
            let image = Tensor(
                shape: [1, 3, 45, 45], data: Array(images.values[(r * 3 * plane)..<((r + 1) * 3 * plane)]))
            let label = Array(labels[(r * plane)..<((r + 1) * plane)])
            losses[r] = replicas[r].lossAndGradients(images: image, labels: label, sink: DiscardGradientReports()).total
        }
        XCTAssertEqual((losses[0] + losses[1]) / 2, wholeLoss.total, accuracy: 1e-5 * abs(wholeLoss.total))
        var worst: Float = 0
        var largest: Float = 0
        for i in 0..<whole.store.count {
            let averaged = (replicas[0].store.gradients[i] + replicas[1].store.gradients[i]) / 2
            worst = max(worst, abs(averaged - whole.store.gradients[i]))
            largest = max(largest, abs(whole.store.gradients[i]))
        }
        XCTAssertGreaterThan(largest, 0)
        XCTAssertLessThan(worst, 1e-4 * largest, "averaged replica gradients differ from the whole batch's")
    }

    /// The tiny network with trainable BN fits one fixed batch: SGD lowers the loss a lot.
    func testTinyFitsAFixedBatch() {
        let (images, labels) = Self.batch(n: 2, size: 65, classes: 3)
        let model = DeepLabV2Model(spec: DeepLabV2Spec.tiny.narrowed(by: 2), numClasses: 3, batchNorm: .trainable)
        model.initialize(seed: 3)
        let sgd = PolySGD(baseLR: 0.01, weightDecay: 0, momentum: 0.9, maxStep: 1000)
        var first: Float = 0
        var last: Float = 0
        for step in 0..<30 {
            model.store.zeroGradients()
            last = model.lossAndGradients(images: images, labels: labels, sink: DiscardGradientReports()).total
            if step == 0 { first = last }
            sgd.step(model.store, step: step)
        }
        XCTAssertLessThan(last, 0.5 * first, "loss \(first) → \(last)")
    }

    /// Images whose colour says the class of each quadrant, labels with an ignored border.
    static func batch(n: Int, size: Int, classes: Int) -> (Tensor, [UInt8]) {
        var images = [Float](repeating: 0, count: n * 3 * size * size)
        var labels = [UInt8](repeating: 255, count: n * size * size)
        var rng = KeyedRandom(key: 42)
        for i in 0..<n {
            for y in 0..<size {
                for x in 0..<size {
                    let cls = ((y * 2 / size) * 2 + x * 2 / size + i) % classes
                    for c in 0..<3 {
                        images[((i * 3 + c) * size + y) * size + x] =
                            (c == cls ? 1 : -0.5) + 0.3 * rng.normal()
                    }
                    if x > 1 && y > 1 { labels[(i * size + y) * size + x] = UInt8(cls) }
                }
            }
        }
        return (Tensor(shape: [n, 3, size, size], data: images), labels)
    }
}
