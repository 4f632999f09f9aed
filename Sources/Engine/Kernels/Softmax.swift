import Foundation

/// Softmax over the channel axis of x [n, c, h, w] (max-subtracted).
/// Backward: grad_x = y·(grad_y − Σ_c grad_y·y).
public enum ChannelSoftmax {
    public static func forward(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = x.nchw
        let plane = h * w
        var y = Tensor(uninitialized: x.shape)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                for b in 0..<n {
                    for i in 0..<plane { _ = pixel(xp, into: yp, at: b * c * plane + i, channels: c, stride: plane) }
                }
            }
        }
        return y
    }

    /// The softmax of one pixel's `channels` values (at `base`, `stride`
    /// apart) written to `y`; returns the max and the sum of exp(x − max),
    /// so that log Σ exp(x) = max + log(sum) (the cross-entropy's log-sum-exp).
    @inline(__always)
    public static func pixel(
        _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, at base: Int, channels: Int,
        stride: Int
    ) -> (largest: Float, sum: Float) {
        var m = -Float.infinity
        for k in 0..<channels { m = max(m, x[base + k * stride]) }
        var s: Float = 0
        for k in 0..<channels {
            let e = expf(x[base + k * stride] - m)
            y[base + k * stride] = e
            s += e
        }
        let inv = 1 / s
        for k in 0..<channels { y[base + k * stride] *= inv }
        return (m, s)
    }

    public static func backward(gradY: Tensor, y: Tensor) -> Tensor {
        let (n, c, h, w) = y.nchw
        let plane = h * w
        var gx = Tensor(uninitialized: gradY.shape)
        gradY.withUnsafeBufferPointer { gy in
            y.withUnsafeBufferPointer { yp in
                gx.withUnsafeMutableBufferPointer { g in
                    for b in 0..<n {
                        for i in 0..<plane {
                            let base = b * c * plane + i
                            var dot: Float = 0
                            for k in 0..<c { dot += gy[base + k * plane] * yp[base + k * plane] }
                            for k in 0..<c { g[base + k * plane] = yp[base + k * plane] * (gy[base + k * plane] - dot) }
                        }
                    }
                }
            }
        }
        return gx
    }
}
