/// Zero padding of a convolution, per axis: `begin` rows/columns before the
/// image (top, left) and `end` after it (bottom, right). PyTorch's `padding=p`
/// is symmetric (p, p); TensorFlow's "SAME" is asymmetric at stride 2.
public struct ConvPadding: Sendable, Equatable, CustomStringConvertible {
    public var begin, end: Int

    public init(begin: Int, end: Int) {
        precondition(begin >= 0 && end >= 0, "padding cannot be negative")
        self.begin = begin
        self.end = end
    }

    public static func symmetric(_ p: Int) -> ConvPadding { ConvPadding(begin: p, end: p) }

    /// TensorFlow "SAME" as the EfficientNet-Lite PyTorch port computes it once
    /// for its 224×224 input (`Conv2dStaticSamePadding`): total = max(k_eff −
    /// stride, 0) with k_eff = dilation·(k − 1) + 1, begin = total / 2, end =
    /// the rest. Stride 2 on an even side gives hout = h / 2 with the extra
    /// row at the bottom (3×3: 0 top, 1 bottom; 5×5: 1 top, 2 bottom).
    public static func same(kernel k: Int, stride: Int, dilation: Int = 1) -> ConvPadding {
        let total = max(dilation * (k - 1) + 1 - stride, 0)
        return ConvPadding(begin: total / 2, end: total - total / 2)
    }

    public var description: String { begin == end ? "\(begin)" : "(\(begin), \(end))" }
}

/// Shapes of a 2-D convolution (zero padding, cross-correlation as PyTorch):
/// input [n, cin, h, w], weight [cout, cin/groups, kh, kw], output
/// [n, cout, hout, wout] with hout = (h + pad + padEnd − dil·(kh−1) − 1)/stride + 1.
/// `pad` is the top/left padding, `padEnd` the bottom/right one (equal unless
/// made from an asymmetric `ConvPadding`). groups is 1 (dense) or cin = cout
/// (depthwise: each channel convolved with its own kh×kw filter).
public struct ConvGeometry: Sendable, Equatable {
    public var n, cin, h, w: Int
    public var cout, kh, kw: Int
    public var stride, pad, padEnd, dilation, groups: Int

    public init(
        n: Int, cin: Int, h: Int, w: Int, cout: Int, kernel: Int,
        stride: Int = 1, pad: Int = 0, dilation: Int = 1
    ) {
        self.init(
            n: n, cin: cin, h: h, w: w, cout: cout, kernel: kernel, stride: stride, padding: .symmetric(pad),
            dilation: dilation)
    }

    public init(
        n: Int, cin: Int, h: Int, w: Int, cout: Int, kernel: Int,
        stride: Int = 1, padding: ConvPadding, dilation: Int = 1, groups: Int = 1
    ) {
        precondition(groups == 1 || (groups == cin && cin == cout), "groups must be 1 or cin = cout (depthwise)")
        self.n = n
        self.cin = cin
        self.h = h
        self.w = w
        self.cout = cout
        self.kh = kernel
        self.kw = kernel
        self.stride = stride
        self.pad = padding.begin
        self.padEnd = padding.end
        self.dilation = dilation
        self.groups = groups
    }

    public var padding: ConvPadding { ConvPadding(begin: pad, end: padEnd) }
    public var hout: Int { (h + pad + padEnd - dilation * (kh - 1) - 1) / stride + 1 }
    public var wout: Int { (w + pad + padEnd - dilation * (kw - 1) - 1) / stride + 1 }
    /// Rows of the im2col matrix: (cin/groups)·kh·kw (kh·kw for a depthwise convolution).
    public var patch: Int { cin / groups * kh * kw }
    public var outputShape: [Int] { [n, cout, hout, wout] }
    public var weightShape: [Int] { [cout, cin / groups, kh, kw] }
    public var isDepthwise: Bool { groups > 1 }
    /// 1×1, stride 1, no padding: the input plane already is the im2col matrix.
    public var isPointwise: Bool { kh == 1 && kw == 1 && stride == 1 && pad == 0 && padEnd == 0 && groups == 1 }
    /// Multiply-adds of one forward pass.
    public var macs: Int { n * cout * hout * wout * patch }
}
