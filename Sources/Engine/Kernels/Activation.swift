/// ReLU: y = max(x, 0); grad_x = grad_y where x > 0 (so 0 at x == 0, as PyTorch).
public enum ReLU {
    public static func forward(_ x: Tensor) -> Tensor {
        var y = x
        y.data.withUnsafeMutableBufferPointer { p in
            Parallel.ranges(p.count, minimum: 65536) { r in for i in r where !(p[i] > 0) { p[i] = 0 } }
        }
        return y
    }

    /// `output` may be x or y: both are > 0 at the same places.
    public static func backward(gradY: Tensor, output: Tensor) -> Tensor {
        var g = gradY
        output.data.withUnsafeBufferPointer { o in g.data.withUnsafeMutableBufferPointer { p in
            Parallel.ranges(p.count, minimum: 65536) { r in for i in r where !(o[i] > 0) { p[i] = 0 } }
        } }
        return g
    }
}
