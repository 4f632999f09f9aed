/// How DeepLab-v2's BatchNorm layers run. `frozen` is deeplab-pytorch's
/// choice for fine-tuning (batches of 5 are too small for statistics): every
/// BN in eval mode with its running statistics, γ and β in no optimizer
/// group. `trainable` is for a network trained from scratch (the tiny
/// preset): batch statistics synchronised over the ranks, γ and β trained.
public enum DeepLabBatchNorm: String, Sendable {
    case frozen, trainable
}

/// deeplab-pytorch's `_ConvBnReLU`: conv (no bias) → BN (eps 1e-5) → ReLU
/// (optional), state_dict names `<name>.conv.weight`, `<name>.bn.*`.
public final class ConvBNReLU: Layer {
    public let name: String
    let conv: Conv2dLayer
    let bn: BatchNormLayer
    let relu: ReLULayer?
    public private(set) var plan = BackwardPlan.skipped
    public let sublayers: [Layer]

    public init(
        _ name: String, store: ParameterStore, cin: Int, cout: Int, kernel: Int, stride: Int = 1, pad: Int = 0,
        dilation: Int = 1, relu: Bool = true, batchNorm: DeepLabBatchNorm
    ) {
        self.name = name
        conv = Conv2dLayer(
            "\(name).conv", store: store, cin: cin, cout: cout, kernel: kernel, stride: stride, pad: pad,
            dilation: dilation)
        bn = BatchNormLayer(
            "\(name).bn", store: store, channels: cout, useBatchStatistics: batchNorm == .trainable,
            trainable: batchNorm == .trainable)
        self.relu = relu ? ReLULayer("\(name).relu") : nil
        sublayers = [conv, bn] + (self.relu.map { [$0] } ?? [])
        planBackward()
    }

    public var hasTrainedParameters: Bool { sublayers.contains { $0.hasTrainedParameters } }

    public func planBackward(reached: Bool, inputGradient: Bool) {
        for layer in sublayers { layer.planBackward(reached: reached, inputGradient: true) }
        conv.planBackward(reached: reached, inputGradient: inputGradient)
        plan = BackwardPlan(reached: reached, inputGradient: inputGradient, parameterGradients: hasTrainedParameters)
    }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let y = bn.forward(conv.forward(x, context), context)
        return relu?.forward(y, context) ?? y
    }

    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        let g = relu.map { $0.backward(gradY, sink: sink)! } ?? gradY
        return conv.backward(bn.backward(g, sink: sink)!, sink: sink)
    }
}

/// deeplab-pytorch's caffe-style `_Bottleneck` (MSRA ResNet): the stride is
/// in the first 1×1 (`reduce`), not in the 3×3 as torchvision's v1.5:
/// reduce 1×1 (stride) → conv3x3 (dilation, pad = dilation) → increase 1×1
/// (BN, no ReLU), plus the shortcut (1×1 conv with the stride + BN, in the
/// first block of every layer, even at stride 1) or x; then ReLU. mid = cout/4.
public final class CaffeBottleneck: Layer {
    public let name: String
    let reduce, conv3x3, increase: ConvBNReLU
    let shortcut: ConvBNReLU?
    let reluOut: ReLULayer
    public private(set) var plan = BackwardPlan.skipped
    public let sublayers: [Layer]

    public init(
        _ name: String, store: ParameterStore, cin: Int, cout: Int, stride: Int, dilation: Int, downsample: Bool,
        batchNorm: DeepLabBatchNorm
    ) {
        let mid = max(cout / 4, 1)
        self.name = name
        reduce = ConvBNReLU(
            "\(name).reduce", store: store, cin: cin, cout: mid, kernel: 1, stride: stride, batchNorm: batchNorm)
        conv3x3 = ConvBNReLU(
            "\(name).conv3x3", store: store, cin: mid, cout: mid, kernel: 3, pad: dilation, dilation: dilation,
            batchNorm: batchNorm)
        increase = ConvBNReLU(
            "\(name).increase", store: store, cin: mid, cout: cout, kernel: 1, relu: false, batchNorm: batchNorm)
        shortcut =
            downsample
            ? ConvBNReLU(
                "\(name).shortcut", store: store, cin: cin, cout: cout, kernel: 1, stride: stride, relu: false,
                batchNorm: batchNorm) : nil
        reluOut = ReLULayer("\(name).relu")
        sublayers = [reduce, conv3x3, increase] + (shortcut.map { [$0] } ?? []) + [reluOut]
        planBackward()
    }

    public var hasTrainedParameters: Bool { sublayers.contains { $0.hasTrainedParameters } }

    /// Only the two layers that read the block's input skip their input
    /// gradient when the caller asks for none.
    public func planBackward(reached: Bool, inputGradient: Bool) {
        for layer in sublayers { layer.planBackward(reached: reached, inputGradient: true) }
        reduce.planBackward(reached: reached, inputGradient: inputGradient)
        shortcut?.planBackward(reached: reached, inputGradient: inputGradient)
        plan = BackwardPlan(reached: reached, inputGradient: inputGradient, parameterGradients: hasTrainedParameters)
    }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        var y = increase.forward(conv3x3.forward(reduce.forward(x, context), context), context)
        y.add(shortcut?.forward(x, context) ?? x)
        return reluOut.forward(y, context)
    }

    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        let g = reluOut.backward(gradY, sink: sink)!
        let branch = conv3x3.backward(increase.backward(g, sink: sink)!, sink: sink)!
        let gxBranch = reduce.backward(branch, sink: sink)
        let gxShortcut = shortcut.map { $0.backward(g, sink: sink) } ?? g
        guard plan.inputGradient, var gx = gxBranch, let gxShortcut else { return nil }
        gx.add(gxShortcut)
        return gx
    }
}

/// Atrous spatial pyramid pooling of DeepLab-v2: parallel 3×3 convolutions
/// with bias, dilation = padding = rate, one per rate (6/12/18/24), each from
/// the features straight to the classes, outputs summed (no BN, ReLU or
/// dropout). Names `<name>.c{i}.weight/.bias`, in the head's groups (lr ×10,
/// biases ×20 without weight decay) as deeplab-pytorch, or with `headGroups`
/// false in the backbone's (a network trained from scratch, whose body is as
/// new as its head). Runs as one GEMM per image (`ASPPFast`);
/// `useReferenceKernel` runs the four convolutions instead.
public final class ASPPLayer: Layer {
    public let name: String
    let branches: [Conv2dLayer]
    public let rates: [Int]
    public private(set) var plan = BackwardPlan.skipped
    public var useReferenceKernel = false
    private var input: Tensor? = nil

    public init(
        _ name: String, store: ParameterStore, cin: Int, classes: Int, rates: [Int] = [6, 12, 18, 24],
        headGroups: Bool = true
    ) {
        self.name = name
        self.rates = rates
        branches = rates.enumerated().map { i, rate in
            Conv2dLayer(
                "\(name).c\(i)", store: store, cin: cin, cout: classes, kernel: 3, pad: rate, dilation: rate,
                bias: true, group: headGroups ? .headWeight : .backboneWeight)
        }
        planBackward()
    }

    public var sublayers: [Layer] { branches }
    public var hasTrainedParameters: Bool { branches.contains { $0.hasTrainedParameters } }

    public func planBackward(reached: Bool, inputGradient: Bool) {
        for branch in branches { branch.planBackward(reached: reached, inputGradient: inputGradient) }
        plan = BackwardPlan(reached: reached, inputGradient: inputGradient, parameterGradients: hasTrainedParameters)
    }

    /// x [n, cin, h, w] → Σ_i c_i(x) [n, classes, h, w].
    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        guard !useReferenceKernel else {
            var y = branches[0].forward(x, context)
            for branch in branches.dropFirst() { y.add(branch.forward(x, context)) }
            return y
        }
        let profile = LayerProfiler.shared.enabled ? LayerProfiler.now() : 0
        let (n, _, h, w) = x.nchw
        defer { if profile > 0 { LayerProfiler.shared.forward(name, stackedGeometry(x), since: profile) } }
        input = plan.keeps(context) ? x : nil
        var y = Tensor(uninitialized: [n, classes, h, w])
        let store = branches[0].store
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                ASPPFast.forward(
                    x: xp.baseAddress!, weights: branches.map { UnsafePointer(store.value($0.weightIndex)) },
                    biases: branches.map { UnsafePointer(store.value($0.biasIndex!)) }, y: yp.baseAddress!,
                    workspace: workspace(x), n: n, cin: cin, h: h, w: w, classes: classes, rates: rates)
            }
        }
        return y
    }

    /// Every branch gets the same output gradient; their input gradients add.
    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        guard !useReferenceKernel else {
            var gx: Tensor? = nil
            for branch in branches.reversed() {
                guard let g = branch.backward(gradY, sink: sink) else { continue }
                if gx == nil { gx = g } else { gx!.add(g) }
            }
            return plan.inputGradient ? gx : nil
        }
        let profile = LayerProfiler.shared.enabled ? LayerProfiler.now() : 0
        guard let x = input else { preconditionFailure("\(name): backward without a forward that kept its input") }
        let trains = plan.parameterGradients
        defer {
            input = nil
            if profile > 0 {
                LayerProfiler.shared.backward(
                    name, stackedGeometry(x), since: profile, weight: trains, data: plan.inputGradient)
            }
        }
        let (n, _, h, w) = x.nchw
        var gx = plan.inputGradient ? Tensor(uninitialized: x.shape) : nil  // overwritten
        let store = branches[0].store
        x.withUnsafeBufferPointer { xp in
            gradY.withUnsafeBufferPointer { gyp in
                func run(_ gxp: UnsafeMutablePointer<Float>?) {
                    ASPPFast.backward(
                        x: xp.baseAddress!, weights: branches.map { UnsafePointer(store.value($0.weightIndex)) },
                        gradY: gyp.baseAddress!, gradX: gxp,
                        gradWeights: trains ? branches.map { store.gradient($0.weightIndex) } : [],
                        gradBiases: trains ? branches.map { store.gradient($0.biasIndex!) } : [],
                        workspace: workspace(x), n: n, cin: cin, h: h, w: w, classes: classes, rates: rates)
                }
                if gx != nil { gx!.withUnsafeMutableBufferPointer { run($0.baseAddress!) } } else { run(nil) }
            }
        }
        if trains {
            for branch in branches.reversed() {
                sink.gradientReady(branch.weightIndex)
                sink.gradientReady(branch.biasIndex!)
            }
        }
        return gx
    }

    var cin: Int { branches[0].cin }
    var classes: Int { branches[0].cout }

    /// The work as the profiler counts it: one 1×1 convolution to the 9 taps
    /// of every branch (the GEMMs `ASPPFast` issues, the multiply-adds of the four convolutions).
    func stackedGeometry(_ x: Tensor) -> ConvGeometry {
        let (n, _, h, w) = x.nchw
        return ConvGeometry(n: n, cin: cin, h: h, w: w, cout: rates.count * 9 * classes, kernel: 1)
    }

    func workspace(_ x: Tensor) -> UnsafeMutablePointer<Float> {
        let (n, _, h, w) = x.nchw
        let count = ASPPFast.workspaceCount(
            n: n, cin: cin, h: h, w: w, classes: classes, branches: rates.count)
        return ConvWorkspace.current.buffer(count)!
    }
}
