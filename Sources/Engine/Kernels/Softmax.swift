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
                    for i in 0..<plane {
                        let base = b * c * plane + i
                        var m = -Float.infinity
                        for k in 0..<c { m = max(m, xp[base + k * plane]) }
                        var s: Float = 0
                        for k in 0..<c {
                            let e = expf(xp[base + k * plane] - m)
                            yp[base + k * plane] = e
                            s += e
                        }
                        let inv = 1 / s
                        for k in 0..<c { yp[base + k * plane] *= inv }
                    }
                }
            }
        }
        return y
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
