/// ReLU: y = max(x, 0); grad_x = grad_y where x > 0 (so 0 at x == 0, as PyTorch).
public enum ReLU {
    public static func forward(_ x: Tensor) -> Tensor {
        Tensor(shape: x.shape, data: x.data.map { $0 > 0 ? $0 : 0 })
    }

    /// `output` may be x or y: both are > 0 at the same places.
    public static func backward(gradY: Tensor, output: Tensor) -> Tensor {
        var g = gradY
        for i in 0..<g.count where !(output.data[i] > 0) { g.data[i] = 0 }
        return g
    }
}
