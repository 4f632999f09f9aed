import Foundation

/// A Conv2d layer whose weight (and optional bias) live in the ParameterStore
/// under `<name>.weight` / `<name>.bias`, shaped as PyTorch's state_dict:
/// [cout, cin, k, k], or [C, 1, k, k] for a depthwise convolution (groups = C,
/// run by the DepthwiseConv2d kernels). `padding` may be asymmetric
/// (TensorFlow "SAME"); `pad: p` is PyTorch's symmetric padding.
public final class Conv2dLayer: Layer {
    public let name: String
    let store: ParameterStore
    let weightIndex: Int
    let biasIndex: Int?
    public let cin, cout, kernel, stride, dilation, groups: Int
    public let padding: ConvPadding
    public private(set) var plan: BackwardPlan
    public var useReferenceKernel = false
    /// The bias after a BatchNorm was folded in (BatchNormFolding), [cout]; inference only.
    var foldedBias: UnsafeMutablePointer<Float>? = nil
    private var input: Tensor? = nil

    deinit { foldedBias?.deallocate() }

    public convenience init(
        _ name: String, store: ParameterStore, cin: Int, cout: Int, kernel: Int, stride: Int = 1,
        pad: Int = 0, dilation: Int = 1, bias: Bool = false, trainable: Bool = true,
        group: ParameterStore.Group = .backboneWeight
    ) {
        self.init(
            name, store: store, cin: cin, cout: cout, kernel: kernel, stride: stride, padding: .symmetric(pad),
            dilation: dilation, bias: bias, trainable: trainable, group: group)
    }

    public init(
        _ name: String, store: ParameterStore, cin: Int, cout: Int, kernel: Int, stride: Int = 1,
        padding: ConvPadding, dilation: Int = 1, groups: Int = 1, bias: Bool = false, trainable: Bool = true,
        group: ParameterStore.Group = .backboneWeight
    ) {
        precondition(groups == 1 || (groups == cin && cin == cout), "\(name): groups must be 1 or cin = cout")
        self.name = name
        self.store = store
        self.cin = cin
        self.cout = cout
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        weightIndex = store.declare(
            "\(name).weight", shape: [cout, cin / groups, kernel, kernel],
            kind: .parameter(group), trainable: trainable)
        let biasGroup: ParameterStore.Group = group == .headWeight ? .headBias : .backboneBias
        biasIndex =
            bias ? store.declare("\(name).bias", shape: [cout], kind: .parameter(biasGroup), trainable: trainable) : nil
        plan = .skipped
        planBackward()
    }

    public var hasTrainedParameters: Bool { store.entries[weightIndex].trainable }

    public func planBackward(reached: Bool, inputGradient: Bool) {
        plan = BackwardPlan(reached: reached, inputGradient: inputGradient, parameterGradients: hasTrainedParameters)
    }
    public var weightName: String { "\(name).weight" }

    public func geometry(for x: Tensor) -> ConvGeometry {
        let (n, c, h, w) = x.nchw
        precondition(c == cin, "\(name): input has \(c) channels, expected \(cin)")
        return ConvGeometry(
            n: n, cin: cin, h: h, w: w, cout: cout, kernel: kernel, stride: stride, padding: padding,
            dilation: dilation, groups: groups)
    }

    public func forward(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let profile = LayerProfiler.shared.enabled ? LayerProfiler.now() : 0
        defer { if profile > 0 { LayerProfiler.shared.forward(name, geometry(for: x), since: profile) } }
        let g = geometry(for: x)
        input = plan.keeps(context) ? x : nil
        var y = Tensor(uninitialized: g.outputShape)  // both kernels write every element
        let weight = store.value(weightIndex)
        precondition(foldedBias == nil || !plan.keeps(context), "\(name): a BatchNorm is folded in; inference only")
        var bias: UnsafePointer<Float>? = nil
        if let foldedBias {
            bias = UnsafePointer(foldedBias)
        } else if let biasIndex {
            bias = UnsafePointer(store.value(biasIndex))
        }
        let winograd = useReferenceKernel ? nil : ConvAlgorithm.current.winogradVariant(g)
        let scratch = ConvWorkspace.current.buffer(
            winograd.map { Conv2dWinograd.scratchCount(g, $0) } ?? Conv2dFast.forwardScratchCount(g))
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                if let winograd {
                    Conv2dWinograd.forward(
                        x: xp.baseAddress!, weight: weight, bias: bias, y: yp.baseAddress!, scratch: scratch!, g,
                        winograd)
                } else if g.isDepthwise {
                    if useReferenceKernel {
                        DepthwiseConv2dReference.forward(
                            x: xp.baseAddress!, weight: weight, bias: bias, y: yp.baseAddress!, g)
                    } else {
                        DepthwiseConv2dFast.forward(
                            x: xp.baseAddress!, weight: weight, bias: bias, y: yp.baseAddress!, g)
                    }
                } else if useReferenceKernel {
                    Conv2dReference.forward(x: xp.baseAddress!, weight: weight, bias: bias, y: yp.baseAddress!, g)
                } else {
                    Conv2dFast.forward(
                        x: xp.baseAddress!, weight: weight, bias: bias, y: yp.baseAddress!, scratch: scratch, g)
                }
            }
        }
        return y
    }

    public func backward(_ gradY: Tensor, sink: GradientSink) -> Tensor? {
        let profile = LayerProfiler.shared.enabled ? LayerProfiler.now() : 0
        guard let input else { preconditionFailure("\(name): backward without a forward that kept its input") }
        let g = geometry(for: input)
        let trains = plan.parameterGradients
        defer {
            self.input = nil
            if profile > 0 {
                LayerProfiler.shared.backward(name, g, since: profile, weight: trains, data: plan.inputGradient)
            }
        }
        var gx = plan.inputGradient ? Tensor(uninitialized: input.shape) : nil  // both kernels overwrite it
        let weight = store.value(weightIndex)
        let gw = trains ? store.gradient(weightIndex) : nil
        let gb = trains ? biasIndex.map { store.gradient($0) } : nil
        let winograd = useReferenceKernel ? nil : ConvAlgorithm.current.winogradVariant(g)
        let scratch = ConvWorkspace.current.buffer(
            winograd.map { Conv2dWinograd.scratchCount(g, $0) } ?? Conv2dFast.scratchCount(g))
        input.withUnsafeBufferPointer { xp in
            gradY.withUnsafeBufferPointer { gyp in
                func run(_ gxp: UnsafeMutablePointer<Float>?) {
                    if let winograd {
                        Conv2dWinograd.backward(
                            x: xp.baseAddress!, weight: weight, gradY: gyp.baseAddress!, gradX: gxp,
                            gradWeight: gw, gradBias: gb, scratch: scratch!, g, winograd)
                    } else if g.isDepthwise {
                        let kernel =
                            useReferenceKernel ? DepthwiseConv2dReference.backward : DepthwiseConv2dFast.backward
                        kernel(xp.baseAddress!, weight, gyp.baseAddress!, gxp, gw, gb, g)
                    } else if useReferenceKernel {
                        Conv2dReference.backward(
                            x: xp.baseAddress!, weight: weight, gradY: gyp.baseAddress!, gradX: gxp,
                            gradWeight: gw, gradBias: gb, g)
                    } else {
                        Conv2dFast.backward(
                            x: xp.baseAddress!, weight: weight, gradY: gyp.baseAddress!, gradX: gxp,
                            gradWeight: gw, gradBias: gb, scratch: scratch, g)
                    }
                }
                if gx != nil { gx!.withUnsafeMutableBufferPointer { run($0.baseAddress!) } } else { run(nil) }
            }
        }
        if trains {
            sink.gradientReady(weightIndex)
            if let biasIndex { sink.gradientReady(biasIndex) }
        }
        return gx
    }
}

/// One im2col/col2im buffer per thread for every convolution it runs: layers
/// run one after another, so a single buffer sized for the largest of them is
/// enough (one per layer would hold gigabytes at inference scales). Per
/// thread, so replicas of a network run concurrently in one process (the
/// SyncBatchNorm test) do not share it; a training run uses one thread's.
public final class ConvWorkspace: @unchecked Sendable {
    private var storage: UnsafeMutablePointer<Float>? = nil
    private var capacity = 0

    /// The calling thread's workspace (made on first use, freed with the thread).
    public static var current: ConvWorkspace {
        if let existing = pthread_getspecific(key) {
            return Unmanaged<ConvWorkspace>.fromOpaque(existing).takeUnretainedValue()
        }
        let made = ConvWorkspace()
        pthread_setspecific(key, Unmanaged.passRetained(made).toOpaque())
        return made
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            Unmanaged<ConvWorkspace>.fromOpaque(pointer!).release()
        }
        return key
    }()

    deinit { if let storage { MappedMemory.deallocateFloats(storage, count: capacity) } }

    /// A buffer of at least `count` floats (nil when none is needed); valid
    /// until this thread's next call.
    public func buffer(_ count: Int) -> UnsafeMutablePointer<Float>? {
        guard count > 0 else { return nil }
        if count > capacity {
            if let storage { MappedMemory.deallocateFloats(storage, count: capacity) }
            storage = MappedMemory.allocateFloats(count)
            capacity = count
        }
        return storage
    }
}
