/// Shapes of a 2-D convolution (groups 1, zero padding, cross-correlation as
/// PyTorch): input [n, cin, h, w], weight [cout, cin, kh, kw], output
/// [n, cout, hout, wout] with hout = (h + 2·pad − dil·(kh−1) − 1)/stride + 1.
public struct ConvGeometry: Sendable, Equatable {
    public var n, cin, h, w: Int
    public var cout, kh, kw: Int
    public var stride, pad, dilation: Int

    public init(
        n: Int, cin: Int, h: Int, w: Int, cout: Int, kernel: Int,
        stride: Int = 1, pad: Int = 0, dilation: Int = 1
    ) {
        self.n = n
        self.cin = cin
        self.h = h
        self.w = w
        self.cout = cout
        self.kh = kernel
        self.kw = kernel
        self.stride = stride
        self.pad = pad
        self.dilation = dilation
    }

    public var hout: Int { (h + 2 * pad - dilation * (kh - 1) - 1) / stride + 1 }
    public var wout: Int { (w + 2 * pad - dilation * (kw - 1) - 1) / stride + 1 }
    /// Rows of the im2col matrix: cin·kh·kw.
    public var patch: Int { cin * kh * kw }
    public var outputShape: [Int] { [n, cout, hout, wout] }
    public var weightShape: [Int] { [cout, cin, kh, kw] }
    /// 1×1, stride 1, no padding: the input plane already is the im2col matrix.
    public var isPointwise: Bool { kh == 1 && kw == 1 && stride == 1 && pad == 0 }
    /// Multiply-adds of one forward pass.
    public var macs: Int { n * cout * hout * wout * patch }
}
