import Foundation

/// Softmax over the channel axis of x [n, c, h, w] (max-subtracted).
/// Backward: grad_x = y·(grad_y − Σ_c grad_y·y).
public enum ChannelSoftmax {
    public static func forward(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = x.nchw
        let plane = h * w
        var y = x
        for b in 0..<n { for i in 0..<plane {
            let base = b * c * plane + i
            var m = -Float.infinity
            for k in 0..<c { m = max(m, x.data[base + k * plane]) }
            var s: Float = 0
            for k in 0..<c { let e = expf(x.data[base + k * plane] - m); y.data[base + k * plane] = e; s += e }
            let inv = 1 / s
            for k in 0..<c { y.data[base + k * plane] *= inv }
        } }
        return y
    }

    public static func backward(gradY: Tensor, y: Tensor) -> Tensor {
        let (n, c, h, w) = y.nchw
        let plane = h * w
        var gx = gradY
        for b in 0..<n { for i in 0..<plane {
            let base = b * c * plane + i
            var dot: Float = 0
            for k in 0..<c { dot += gradY.data[base + k * plane] * y.data[base + k * plane] }
            for k in 0..<c { gx.data[base + k * plane] = y.data[base + k * plane] * (gradY.data[base + k * plane] - dot) }
        } }
        return gx
    }
}
