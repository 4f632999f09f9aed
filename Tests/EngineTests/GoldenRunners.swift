import Engine
import Foundation

/// One runner per golden kind (see Golden/README.md for semantics).
enum GoldenRunners {
    typealias Runner = (inout GoldenCase) -> Void

    static let byKind: [String: Runner] = [
        "conv2d": conv2d, "depthwise_conv2d": conv2d, "batchnorm2d_train": batchNorm, "batchnorm2d_eval": batchNorm,
        "relu": relu, "maxpool": maxPool, "adaptive_avgpool": averagePool, "softmax": softmax,
        "bilinear": bilinear, "nearest": nearest, "cls_loss": classificationLoss, "eps_loss": epsLoss,
        "sgd": sgd, "poly_sgd": polySGD, "poly_adam": polyAdam, "resblock_basic": basicBlock,
        "resnet38_block": resnet38Block,
        "infer_cam": inferCAM,
    ].merging(deepLabKinds) { _, _ in preconditionFailure("a golden kind with two runners") }

    /// Both kernel tiers, each against the golden outputs.
    static func conv2d(_ c: inout GoldenCase) {
        let x = c.input("x")
        let w = c.input("weight")
        let gy = c.input("grad_y")
        let bias = c.has("bias") ? c.input("bias") : nil
        let (n, cin, h, wd) = x.nchw
        let pad = c.metaInt("padding")
        let padEnd = c.meta("padding_end").flatMap { Int($0) } ?? pad  // asymmetric ("SAME") when present
        let g = ConvGeometry(
            n: n, cin: cin, h: h, w: wd, cout: w.shape[0], kernel: w.shape[2],
            stride: c.metaInt("stride"), padding: ConvPadding(begin: pad, end: padEnd), dilation: c.metaInt("dilation"),
            groups: c.metaInt("groups"))
        for fast in [false, true] {
            var y = Tensor(zeros: g.outputShape)
            var gx = Tensor(zeros: x.shape)
            var gw = Tensor(zeros: w.shape)
            var gb = Tensor(zeros: [g.cout])
            var scratch = [Float](repeating: 0, count: Conv2dFast.scratchCount(g))
            let b = bias?.values
            x.withUnsafeBufferPointer { xp in
                w.withUnsafeBufferPointer { wp in
                    gy.withUnsafeBufferPointer { gyp in
                        y.withUnsafeMutableBufferPointer { yp in
                            gx.withUnsafeMutableBufferPointer { gxp in
                                gw.withUnsafeMutableBufferPointer { gwp in
                                    gb.withUnsafeMutableBufferPointer { gbp in
                                        scratch.withUnsafeMutableBufferPointer { sp in
                                            b.withUnsafeOptionalPointer { bp in
                                                if g.isDepthwise {
                                                    let kernels =
                                                        fast
                                                        ? (DepthwiseConv2dFast.forward, DepthwiseConv2dFast.backward)
                                                        : (
                                                            DepthwiseConv2dReference.forward,
                                                            DepthwiseConv2dReference.backward
                                                        )
                                                    kernels.0(xp.baseAddress!, wp.baseAddress!, bp, yp.baseAddress!, g)
                                                    kernels.1(
                                                        xp.baseAddress!, wp.baseAddress!, gyp.baseAddress!,
                                                        gxp.baseAddress!, gwp.baseAddress!,
                                                        bp == nil ? nil : gbp.baseAddress!, g)
                                                } else if fast {
                                                    Conv2dFast.forward(
                                                        x: xp.baseAddress!, weight: wp.baseAddress!, bias: bp,
                                                        y: yp.baseAddress!, scratch: sp.baseAddress, g)
                                                    Conv2dFast.backward(
                                                        x: xp.baseAddress!, weight: wp.baseAddress!,
                                                        gradY: gyp.baseAddress!, gradX: gxp.baseAddress!,
                                                        gradWeight: gwp.baseAddress!,
                                                        gradBias: bp == nil ? nil : gbp.baseAddress!,
                                                        scratch: sp.baseAddress, g)
                                                } else {
                                                    Conv2dReference.forward(
                                                        x: xp.baseAddress!, weight: wp.baseAddress!, bias: bp,
                                                        y: yp.baseAddress!, g)
                                                    Conv2dReference.backward(
                                                        x: xp.baseAddress!, weight: wp.baseAddress!,
                                                        gradY: gyp.baseAddress!, gradX: gxp.baseAddress!,
                                                        gradWeight: gwp.baseAddress!,
                                                        gradBias: bp == nil ? nil : gbp.baseAddress!, g)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            c.expect("y", y)
            c.expect("grad_x", gx)
            c.expect("grad_weight", gw)
            if bias != nil { c.expect("grad_bias", gb) }
        }
    }

    static func batchNorm(_ c: inout GoldenCase) {
        let training = c.meta("training") == "True"
        var mean = c.input("running_mean").values
        var variance = c.input("running_var").values
        let weight = c.input("weight").values
        let (y, cache) = BatchNorm.forward(
            c.input("x"), weight: weight, bias: c.input("bias").values,
            runningMean: &mean, runningVar: &variance, training: training,
            momentum: c.metaFloat("momentum"), eps: c.metaFloat("eps"))
        var gw = [Float](repeating: 0, count: weight.count)
        var gb = gw
        let gx = BatchNorm.backward(
            gradY: c.input("grad_y"), cache: cache, weight: weight, gradWeight: &gw, gradBias: &gb)!
        c.expect("y", y)
        c.expect("grad_x", gx)
        c.expect("grad_weight", gw)
        c.expect("grad_bias", gb)
        if training {
            c.expect("running_mean_out", mean)
            c.expect("running_var_out", variance)
        }
    }

    static func relu(_ c: inout GoldenCase) {
        let y = ReLU.forward(c.input("x"))
        c.expect("y", y, exact: true)
        c.expect("grad_x", ReLU.backward(gradY: c.input("grad_y"), output: c.input("x")), exact: true)
    }

    static func maxPool(_ c: inout GoldenCase) {
        let x = c.input("x")
        let r = MaxPool.forward(x, kernel: c.metaInt("kernel"), stride: c.metaInt("stride"), pad: c.metaInt("padding"))
        c.expect("y", r.y, exact: true)
        c.expect("grad_x", MaxPool.backward(gradY: c.input("grad_y"), argmax: r.argmax, inputShape: x.shape))
    }

    static func averagePool(_ c: inout GoldenCase) {
        let x = c.input("x")
        c.expect("y", GlobalAveragePool.forward(x))
        c.expect("grad_x", GlobalAveragePool.backward(gradY: c.input("grad_y"), inputShape: x.shape))
    }

    static func softmax(_ c: inout GoldenCase) {
        let y = ChannelSoftmax.forward(c.input("x"))
        c.expect("y", y)
        c.expect("grad_x", ChannelSoftmax.backward(gradY: c.input("grad_y"), y: y))
    }

    static func bilinear(_ c: inout GoldenCase) {
        let x = c.input("x")
        let corners = c.meta("align_corners") == "True"
        c.expect(
            "y", BilinearResize.forward(x, height: c.metaInt("out_h"), width: c.metaInt("out_w"), alignCorners: corners)
        )
        c.expect(
            "grad_x", BilinearResize.backward(gradY: c.input("grad_y"), inputShape: x.shape, alignCorners: corners))
    }

    static func nearest(_ c: inout GoldenCase) {
        let x = c.input("x")
        c.expect("y", NearestResize.forward(x, height: c.metaInt("out_h"), width: c.metaInt("out_w")), exact: true)
        c.expect("grad_x", NearestResize.backward(gradY: c.input("grad_y"), inputShape: x.shape))
    }

    static func classificationLoss(_ c: inout GoldenCase) {
        let cam = c.input("cam")
        let (n, k, _, _) = cam.nchw
        let pooled = GlobalAveragePool.forward(cam)
        let r = MultilabelSoftMargin.compute(
            logits: pooled.values, labels: c.input("label").values, batch: n, stride: k, classes: k - 1)
        c.expect("pred", pooled.values)
        c.expectScalar("loss_cls", r.loss)
        c.expect(
            "grad_cam",
            GlobalAveragePool.backward(gradY: Tensor(shape: [n, k, 1, 1], data: r.grad), inputShape: cam.shape))
    }

    static func epsLoss(_ c: inout GoldenCase) {
        let r = EPSObjective.compute(
            cam: c.input("cam"), saliency: c.input("saliency"), labels: c.input("label").values,
            tau: c.metaFloat("tau"), lam: c.metaFloat("lam"))
        let s = r.saliency
        c.expect("saliency_resized", s.saliencyResized, exact: true)
        c.expect("prob", s.prob)
        c.expect("iou_saliency", s.overlap)
        c.expect("valid_channel", s.valid.map { $0 ? 1 : 0 }, exact: true)
        c.expect("fg_map", s.fgMap)
        c.expect("bg_map", s.bgMap)
        c.expect("sal_pred", s.salPred)
        c.expect("grad_cam", s.gradCam)
        c.expect("pred", r.logits)
        c.expect("grad_cam_total", r.gradCam)
        c.expectScalar("loss_sal", r.lossSal)
        c.expectScalar("loss_cls", r.lossCls)
        c.expectScalar("loss_total", r.total)
    }

    /// torch.optim.SGD with one lr and weight decay for all tensors.
    static func sgd(_ c: inout GoldenCase) {
        let lr = c.metaFloat("lr")
        let wd = c.metaFloat("weight_decay")
        let momentum = c.metaFloat("momentum")
        var i = 0
        while c.has("param\(i)") {
            var w = c.input("param\(i)").values
            var buf = [Float](repeating: 0, count: w.count)
            for t in 0..<c.metaInt("steps") {
                PolySGD.update(
                    w: &w, grad: c.input("grad\(i)_step\(t)").values, buf: &buf, count: w.count,
                    lr: lr, weightDecay: wd, momentum: momentum)
                c.expect("param\(i)_after_step\(t)", w)
                c.expect("momentum_buffer\(i)_after_step\(t)", buf)
            }
            i += 1
        }
    }

    /// The optimizer cases' parameters `g<group>p<j>` declared in their
    /// ParameterStore groups with their initial values; returns their names.
    static func groupedParameters(_ c: GoldenCase) -> (ParameterStore, [String]) {
        let store = ParameterStore()
        var names: [String] = []
        for group in ParameterStore.Group.allCases {
            var j = 0
            while c.has("g\(group.rawValue)p\(j)") {
                let name = "g\(group.rawValue)p\(j)"
                store.declare(name, shape: c.input(name).shape, kind: .parameter(group))
                store.set(name, c.input(name))
                names.append(name)
                j += 1
            }
        }
        return (store, names)
    }

    /// The reference PolyOptimizer through our ParameterStore groups.
    static func polySGD(_ c: inout GoldenCase) {
        let (store, names) = groupedParameters(c)
        let optimizer = PolySGD(
            baseLR: c.metaFloat("lr"), weightDecay: c.metaFloat("wt_dec"),
            momentum: c.metaFloat("effective_sgd_momentum"), maxStep: c.metaInt("max_step"),
            power: Double(c.metaFloat("poly_power")))
        for t in 0..<c.metaInt("steps") {
            for group in ParameterStore.Group.allCases {
                let expected = c.metaFloat("lr_group\(group.rawValue)_step\(t)")
                let got = optimizer.learningRate(step: t, multiplier: group.lrMultiplier)
                if !(abs(got - expected) <= 1e-6 * expected) {
                    c.fail("lr of group \(group.rawValue) at step \(t): \(got) vs \(expected)")
                }
            }
            for name in names {
                _ = store.gradientBuffer(store.index(of: name)!).update(
                    fromContentsOf: c.input("grad_\(name)_step\(t)").values)
            }
            optimizer.step(store, step: t)
            for name in names {
                let i = store.index(of: name)!
                c.expect("\(name)_after_step\(t)", store.tensor(name))
                c.expect(
                    "momentum_buffer_\(name)_after_step\(t)",
                    Array(
                        UnsafeBufferPointer(
                            start: store.momentum + store.entries[i].offset, count: store.entries[i].count)))
            }
        }
    }

    /// torch.optim.Adam on the poly schedule through our ParameterStore groups.
    static func polyAdam(_ c: inout GoldenCase) {
        let (store, names) = groupedParameters(c)
        let optimizer = PolyAdam(
            baseLR: c.metaFloat("lr"), weightDecay: c.metaFloat("wt_dec"), maxStep: c.metaInt("max_step"))
        for t in 0..<c.metaInt("steps") {
            for name in names {
                _ = store.gradientBuffer(store.index(of: name)!).update(
                    fromContentsOf: c.input("grad_\(name)_step\(t)").values)
            }
            optimizer.step(store, step: t)
            for name in names {
                let entry = store.entries[store.index(of: name)!]
                c.expect("\(name)_after_step\(t)", store.tensor(name))
                for (arena, label) in [(store.momentum, "exp_avg"), (store.secondMoment, "exp_avg_sq")] {
                    c.expect(
                        "\(label)_\(name)_after_step\(t)",
                        Array(UnsafeBufferPointer(start: arena + entry.offset, count: entry.count)))
                }
            }
        }
    }

    /// torchvision basic block with train-mode BN, built from our layers.
    static func basicBlock(_ c: inout GoldenCase) {
        let store = ParameterStore()
        let x = c.input("x")
        let channels = x.shape[1]
        let conv1 = Conv2dLayer("conv1", store: store, cin: channels, cout: channels, kernel: 3, pad: 1)
        let bn1 = BatchNormLayer("bn1", store: store, channels: channels, useBatchStatistics: true)
        let conv2 = Conv2dLayer("conv2", store: store, cin: channels, cout: channels, kernel: 3, pad: 1)
        let bn2 = BatchNormLayer("bn2", store: store, channels: channels, useBatchStatistics: true)
        loadInputs(&c, into: store, prefix: "")
        for name in ["bn1.weight", "bn1.bias", "bn2.weight", "bn2.bias"] { store.setTrainable(name, true) }
        let relu1 = ReLULayer()
        let relu2 = ReLULayer()
        let context = ForwardContext(training: true)
        let branch = Sequential([conv1, bn1, relu1, conv2, bn2])  // planned with the BN weights trained
        var pre = branch.forward(x, context)
        for i in 0..<pre.count { pre[i] += x[i] }
        let y = relu2.forward(pre, context)
        let gpre = relu2.backward(c.input("grad_y"), sink: DiscardGradientReports())!
        var gx = branch.backward(gpre, sink: DiscardGradientReports())!
        for i in 0..<gx.count { gx[i] += gpre[i] }
        c.expect("y", y)
        c.expect("grad_x", gx)
        for name in ["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias"] {
            c.expect("grad_\(name)", store.gradientTensor(name))
        }
        for name in ["bn1.running_mean", "bn1.running_var", "bn2.running_mean", "bn2.running_var"] {
            c.expect("\(name)_out", store.tensor(name))
        }
    }

    /// The official ResBlock / ResBlock_bot with every BN in eval mode.
    static func resnet38Block(_ c: inout GoldenCase) {
        guard let args = try? JSONSerialization.jsonObject(with: Data((c.meta("args") ?? "{}").utf8)) as? [String: Any]
        else {
            c.fail("args metadata does not parse")
            return
        }
        func arg(_ key: String) -> Int? { (args[key] as? NSNumber)?.intValue }
        let store = ParameterStore()
        let block: Layer
        if c.meta("type") == "ResBlock_bot" {
            block = ResBlockBottleneck(
                "blk", store: store, in: arg("in_channels")!, out: arg("out_channels")!,
                stride: arg("stride") ?? 1, dilation: arg("dilation") ?? 1,
                dropout: Float((args["dropout"] as? NSNumber)?.doubleValue ?? 0), salt: 1)
        } else {
            block = ResBlock(
                "blk", store: store, in: arg("in_channels")!, mid: arg("mid_channels")!, out: arg("out_channels")!,
                stride: arg("stride") ?? 1, firstDilation: arg("first_dilation"), dilation: arg("dilation") ?? 1)
        }
        loadInputs(&c, into: store, prefix: "param.", as: "blk.")
        for entry in store.entries { store.setTrainable(entry.name, true) }
        block.planBackward()  // again, now that every parameter is trained
        let y = block.forward(c.input("x"), ForwardContext(training: false))
        let gx = block.backward(c.input("grad_y"), sink: DiscardGradientReports())!
        c.expect("y", y)
        c.expect("grad_x", gx)
        for entry in store.entries {
            guard case .parameter = entry.kind else { continue }
            let short = String(entry.name.dropFirst(4))
            c.expect("grad.\(short)", store.gradientTensor(entry.name))
        }
    }

    static func inferCAM(_ c: inout GoldenCase) {
        let label = c.input("label").values
        var fusion = CAMFusion(
            numClasses: label.count, height: c.metaInt("orig_h"), width: c.metaInt("orig_w"),
            labels: label, method: .eps)
        let flips = (c.meta("entries") ?? "").split(separator: ";").map { $0.contains("flip=1") }
        for (k, flipped) in flips.enumerated() { fusion.add(maps: c.input("cam_\(k)"), flipped: flipped) }
        let norm = fusion.normalized()
        c.expect("sum_cam", fusion.sum)
        c.expect("norm_cam", norm)
        c.expect("pred", fusion.mask(threshold: c.metaFloat("thr"), normalized: norm).map(Float.init), exact: true)
    }

    /// Copies every input tensor named `<prefix><name>` into store entry `<as><name>`.
    static func loadInputs(_ c: inout GoldenCase, into store: ParameterStore, prefix: String, as target: String = "") {
        for (name, tensor) in c.content.tensors where name.hasPrefix(prefix) && name != "x" && name != "grad_y" {
            let key = target + name.dropFirst(prefix.count)
            if store.index(of: key) != nil { store.set(key, tensor) }
        }
    }
}

extension Optional where Wrapped == [Float] {
    /// Calls body with a pointer to the array's storage, or nil.
    func withUnsafeOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let a): return a.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
