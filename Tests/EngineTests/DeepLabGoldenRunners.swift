import Engine
import Foundation
import Support

/// The runners of the DeepLab-v2 golden kinds (scripts/pytorch/make_deeplab_golden.py,
/// deeplab-pytorch semantics), dispatched through `GoldenRunners.byKind`.
extension GoldenRunners {
    static let deepLabKinds: [String: Runner] = [
        "seg_ce": segmentationCrossEntropy, "label_nearest": labelNearest, "bilinear_scale": bilinearScale,
        "maxpool_ceil": maxPoolCeil, "aspp": aspp, "caffe_bottleneck": caffeBottleneck, "msc_max": multiScaleMax,
    ]

    /// Float32 class indices (and 255) of a stored label tensor.
    static func labelBytes(_ t: Tensor) -> [UInt8] { t.values.map { UInt8($0) } }

    /// The comma-separated list of a metadata key.
    static func metaList(_ c: GoldenCase, _ key: String) -> [String] {
        (c.meta(key) ?? "").split(separator: ",").map(String.init)
    }

    static func segmentationCrossEntropy(_ c: inout GoldenCase) {
        let r = SegmentationCrossEntropy.compute(logits: c.input("logits"), labels: labelBytes(c.input("labels")))
        if r.counted != c.metaInt("counted") { c.fail("counted \(r.counted), expected \(c.metaInt("counted"))") }
        c.expectScalar("loss", r.loss)
        c.expect("grad_logits", r.grad)
    }

    /// Every size through the batch function, and map by map through the single one.
    static func labelNearest(_ c: inout GoldenCase) {
        let input = c.input("labels")
        let (n, h, w) = (input.shape[0], input.shape[1], input.shape[2])
        let labels = labelBytes(input)
        for size in metaList(c, "sizes") {
            let hw = size.split(separator: "x").compactMap { Int($0) }
            let batch = LabelResize.nearestBatch(labels, n: n, height: h, width: w, toHeight: hw[0], toWidth: hw[1])
            c.expect("y_\(size)", batch.map(Float.init), exact: true)
            let single = (0..<n).flatMap { i in
                LabelResize.nearest(
                    Array(labels[(i * h * w)..<((i + 1) * h * w)]), height: h, width: w, toHeight: hw[0],
                    toWidth: hw[1])
            }
            if single != batch { c.fail("y_\(size): nearest and nearestBatch disagree") }
        }
    }

    static func bilinearScale(_ c: inout GoldenCase) {
        for p in metaList(c, "scale_factors") {
            c.expect("y_\(p)", BilinearResize.forward(c.input("x"), scaleFactor: Double(p)!))
        }
    }

    /// The kernel, and the stem's MaxPoolLayer on the same input.
    static func maxPoolCeil(_ c: inout GoldenCase) {
        let x = c.input("x")
        let (k, s, p) = (c.metaInt("kernel"), c.metaInt("stride"), c.metaInt("padding"))
        let r = MaxPool.forward(x, kernel: k, stride: s, pad: p, ceilMode: true)
        c.expect("y", r.y, exact: true)
        c.expect("grad_x", MaxPool.backward(gradY: c.input("grad_y"), argmax: r.argmax, inputShape: x.shape))
        let layer = MaxPoolLayer("pool", kernel: k, stride: s, pad: p, ceilMode: true)
        layer.planBackward()
        c.expect("y", layer.forward(x, ForwardContext(training: true)), exact: true)
        c.expect("grad_x", layer.backward(c.input("grad_y"), sink: DiscardGradientReports())!)
    }

    static func aspp(_ c: inout GoldenCase) {
        let x = c.input("x")
        let rates = metaList(c, "rates").compactMap { Int($0) }
        let store = ParameterStore()
        let layer = ASPPLayer(
            "aspp", store: store, cin: x.shape[1], classes: c.input("param.c0.weight").shape[0], rates: rates)
        loadInputs(&c, into: store, prefix: "param.", as: "aspp.")
        c.expect("y", layer.forward(x, ForwardContext(training: true)))
        c.expect("grad_x", layer.backward(c.input("grad_y"), sink: DiscardGradientReports())!)
        expectGradients(&c, store: store, prefix: "aspp.")
    }

    /// Frozen BN (deeplab-pytorch's fine-tuning) or trained BN with batch statistics (the tiny preset).
    static func caffeBottleneck(_ c: inout GoldenCase) {
        guard let data = c.meta("args")?.data(using: .utf8),
            let args = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            c.fail("args metadata does not parse")
            return
        }
        func int(_ key: String) -> Int { (args[key] as? NSNumber)?.intValue ?? -1 }
        let training = c.meta("bn_mode") == "train"
        let store = ParameterStore()
        let block = CaffeBottleneck(
            "blk", store: store, cin: int("cin"), cout: int("cout"), stride: int("stride"),
            dilation: int("dilation"), downsample: (args["downsample"] as? Bool) ?? false,
            batchNorm: training ? .trainable : .frozen)
        loadInputs(&c, into: store, prefix: "param.", as: "blk.")
        block.planBackward()
        c.expect("y", block.forward(c.input("x"), ForwardContext(training: true)))
        c.expect("grad_x", block.backward(c.input("grad_y"), sink: DiscardGradientReports())!)
        expectGradients(&c, store: store, prefix: "blk.")
        for (name, _) in c.content.tensors where name.hasPrefix("running.") {
            c.expect(name, store.tensor("blk." + name.dropFirst("running.".count)))
        }
    }

    /// Every `grad.<name>` against the store's `<prefix><name>`; every other entry of the store must be untrained.
    static func expectGradients(_ c: inout GoldenCase, store: ParameterStore, prefix: String) {
        var expected = Set<String>()
        for (name, _) in c.content.tensors where name.hasPrefix("grad.") {
            let key = prefix + name.dropFirst("grad.".count)
            expected.insert(key)
            guard store.index(of: key) != nil else {
                c.fail("\(name): no store entry \(key)")
                continue
            }
            c.expect(name, store.gradientTensor(key))
        }
        for entry in store.entries where entry.trainable && !expected.contains(entry.name) {
            guard case .parameter = entry.kind else { continue }
            c.fail("\(entry.name) is trained, but PyTorch's optimizer does not hold it")
        }
    }

    static func multiScaleMax(_ c: inout GoldenCase) {
        let branches = ["l1", "l_0.5", "l_0.75"]
        let logits = branches.map { c.input($0) }
        let (y, source) = DeepLabV2Model.pixelwiseMax(logits)
        c.expect("y", y)
        var grads = logits.map { Tensor(zeros: $0.shape) }
        DeepLabV2Model.pixelwiseMaxBackward(gradMax: c.input("grad_y"), source: source, into: &grads)
        for (name, g) in zip(branches, grads) { c.expect("grad_\(name)", g) }
    }
}
