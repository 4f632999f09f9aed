import Engine
import XCTest

/// The gradient sink and the backward plan: every trained tensor is reported
/// exactly once per step, after its gradient is final; layers that backward
/// never reaches keep nothing.
final class GradientFlowTests: XCTestCase {
    /// Records each report and the gradient as it was at that moment.
    final class RecordingSink: GradientSink {
        let store: ParameterStore
        var reports: [Int: Int] = [:]
        var atReport: [Int: [Float]] = [:]
        init(store: ParameterStore) { self.store = store }
        func gradientReady(_ index: Int) {
            reports[index, default: 0] += 1
            atReport[index] = Array(store.gradientBuffer(index))
        }
    }

    func checkReports(_ model: ClassifierModel, crop: Int, file: StaticString = #filePath, line: UInt = #line) {
        model.initialize(seed: 3)
        let store = model.store
        let batch = LocalBatch(
            images: GradientCheckTests.random([2, 3, crop, crop], key: 1),
            saliency: model.method == .eps
                ? Tensor(
                    shape: [2, 1, crop, crop],
                    data: GradientCheckTests.random([2, 1, crop, crop], key: 2).values.map { abs($0) })
                : nil,
            labels: (0..<(2 * model.numClasses)).map { Float($0 % 3 == 0 ? 1 : 0) }, sampleKeys: [4, 5])
        for step in 0..<2 {
            let sink = RecordingSink(store: store)
            store.zeroGradients()
            _ = model.accumulateGradients(batch, sink: sink)
            let label = "\(model.architecture) \(model.method) step \(step)"
            var trained = 0
            for (i, entry) in store.entries.enumerated() {
                if entry.trainable {
                    trained += 1
                    XCTAssertEqual(
                        sink.reports[i], 1, "\(label): \(entry.name) reported \(sink.reports[i] ?? 0) times",
                        file: file, line: line)
                    XCTAssertEqual(
                        sink.atReport[i], Array(store.gradientBuffer(i)),
                        "\(label): \(entry.name) changed after it was reported", file: file, line: line)
                } else {
                    XCTAssertNil(sink.reports[i], "\(label): frozen \(entry.name) reported", file: file, line: line)
                    XCTAssertEqual(
                        store.gradientTensor(entry.name).maxAbs, 0, "\(label): frozen \(entry.name) has a gradient",
                        file: file, line: line)
                }
            }
            XCTAssertGreaterThan(trained, 3, label, file: file, line: line)
        }
    }

    func testEveryTrainedTensorIsReportedOncePerStep() {
        for method in Method.allCases {
            checkReports(ClassifierModel(architecture: .tiny, method: method, numClasses: 4), crop: 32)
            checkReports(
                ClassifierModel(architecture: .resnet38, method: method, numClasses: 4, widthDivisor: 16), crop: 32)
            checkReports(
                ClassifierModel(architecture: .resnet50, method: method, numClasses: 4, widthDivisor: 16), crop: 48)
        }
    }

    /// A trainable BatchNorm reports its weight and bias like a convolution
    /// (fails if BatchNormLayer computes gradients without telling the sink).
    func testTrainedBatchNormReportsItsGradients() {
        let model = ClassifierModel(architecture: .resnet50, method: .eps, numClasses: 4, widthDivisor: 16)
        for entry in model.store.entries where entry.name.hasPrefix("layer3.0.bn") {
            model.store.setTrainable(entry.name, true)
        }
        model.backbone.layers.planBackward(reached: true, inputGradient: false)
        XCTAssertEqual(model.store.entries.filter { $0.trainable && $0.name.contains(".bn") }.count, 6)
        checkReports(model, crop: 48)
    }

    /// A trained bn2a in the first trained block (whose input gradient is not
    /// needed) still gets its gradient: the block computes t's gradient for it.
    func testTrainedFirstBatchNormOfTheFirstTrainedBlockIsReached() {
        for arch in [Architecture.resnet38] {
            let model = ClassifierModel(architecture: arch, method: .eps, numClasses: 4, widthDivisor: 16)
            for entry in model.store.entries
            where entry.name.hasPrefix("b3.bn_branch2a") || entry.name.hasPrefix("b6.bn_branch2a") {
                model.store.setTrainable(entry.name, true)
            }
            model.backbone.layers.planBackward(reached: true, inputGradient: false)
            checkReports(model, crop: 32)
            XCTAssertGreaterThan(model.store.gradientTensor("b3.bn_branch2a.weight").maxAbs, 0)
        }
    }

    /// ResNet-38 in EPS: conv1a and the b2 stage are frozen and before every
    /// trained layer, so backward never reaches them; b3's convolutions on
    /// t = relu(bn2a(x)) compute no input gradient, and bn2a/relu2a are skipped.
    func testResNet38PlanSkipsTheFrozenStem() {
        let model = ClassifierModel(architecture: .resnet38, method: .eps, numClasses: 20, widthDivisor: 16)
        var plans: [String: BackwardPlan] = [:]
        func collect(_ layer: Layer) {
            plans[layer.name] = layer.plan
            layer.sublayers.forEach(collect)
        }
        collect(model.backbone.layers)
        collect(model.fc8)
        for name in [
            "conv1a", "b2", "b2.conv_branch2a", "b2.bn_branch2a", "b2_1", "b2_2.conv_branch2b1", "b2_2.relu_branch2b1",
        ] {
            XCTAssertEqual(plans[name], .skipped, name)
        }
        XCTAssertEqual(plans["b3.bn_branch2a"], .skipped)
        XCTAssertEqual(plans["b3.relu_branch2a"], .skipped)
        XCTAssertEqual(
            plans["b3.conv_branch2a"], BackwardPlan(reached: true, inputGradient: false, parameterGradients: true))
        XCTAssertEqual(
            plans["b3.conv_branch1"], BackwardPlan(reached: true, inputGradient: false, parameterGradients: true))
        XCTAssertEqual(
            plans["b3.conv_branch2b1"], BackwardPlan(reached: true, inputGradient: true, parameterGradients: true))
        XCTAssertEqual(
            plans["b3_1.bn_branch2a"], BackwardPlan(reached: true, inputGradient: true, parameterGradients: false))
        XCTAssertEqual(plans["bn7"], BackwardPlan(reached: true, inputGradient: true, parameterGradients: false))
        XCTAssertEqual(plans["fc8"], BackwardPlan(reached: true, inputGradient: true, parameterGradients: true))
        let table = model.backwardPlanTable
        XCTAssertTrue(table.contains("conv1a") && table.contains("skipped"), table)

        // What the plan says is what forward does: conv1a and b2 keep nothing.
        model.initialize(seed: 2)
        let store = model.store
        let sink = DiscardGradientReports()
        let batch = LocalBatch(
            images: GradientCheckTests.random([1, 3, 32, 32], key: 9),
            saliency: Tensor(shape: [1, 1, 32, 32], data: [Float](repeating: 0.5, count: 1024)),
            labels: [Float](repeating: 0, count: 20).enumerated().map { $0.offset == 3 ? 1 : 0 },
            sampleKeys: [1])
        store.zeroGradients()
        _ = model.accumulateGradients(batch, sink: sink)  // backward would trap on a reached layer that kept nothing
        XCTAssertGreaterThan(store.gradientTensor("b3.conv_branch2a.weight").maxAbs, 0)
    }

    /// A standalone layer plans a full backward; a Sequential asked for no
    /// input gradient stops at its first trained layer.
    func testSequentialStopsAtTheFirstTrainedLayer() {
        let store = ParameterStore()
        let frozen = Conv2dLayer("a", store: store, cin: 2, cout: 2, kernel: 1, trainable: false)
        let relu = ReLULayer("r")
        let trained = Conv2dLayer("b", store: store, cin: 2, cout: 2, kernel: 1)
        let net = Sequential([frozen, relu, trained])
        XCTAssertEqual(frozen.plan, BackwardPlan(reached: true, inputGradient: true, parameterGradients: false))
        net.planBackward(reached: true, inputGradient: false)
        XCTAssertEqual(frozen.plan, .skipped)
        XCTAssertEqual(relu.plan, .skipped)
        XCTAssertEqual(trained.plan, BackwardPlan(reached: true, inputGradient: false, parameterGradients: true))
        let x = GradientCheckTests.random([1, 2, 3, 3], key: 5)
        _ = net.forward(x, ForwardContext(training: true))
        XCTAssertNil(net.backward(x, sink: DiscardGradientReports()))
    }

    /// The divergence check of the training step.
    func testGradientFinitenessCheck() {
        let store = ParameterStore()
        store.declare("w", shape: [1000], kind: .parameter(.backboneWeight))
        let g = store.gradientBuffer(0)
        for i in 0..<1000 { g[i] = Float(i) * 1e30 }
        XCTAssertTrue(store.gradientsAreFinite())
        for bad in [Float.nan, .infinity, -.infinity] {
            g[777] = bad
            XCTAssertFalse(store.gradientsAreFinite(), "\(bad)")
            g[777] = 1
        }
        XCTAssertTrue(store.gradientsAreFinite())
    }
}
