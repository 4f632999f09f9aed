/// ReLU: y = max(x, 0); grad_x = grad_y where x > 0 (so 0 at x == 0, as PyTorch).
public enum ReLU {
    public static func forward(_ x: Tensor) -> Tensor {
        var y = Tensor(uninitialized: x.shape)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                Parallel.ranges(xp.count, minimum: 65536) { r in for i in r { yp[i] = xp[i] > 0 ? xp[i] : 0 } }
            }
        }
        return y
    }

    /// `output` may be x or y: both are > 0 at the same places.
    public static func backward(gradY: Tensor, output: Tensor) -> Tensor {
        var g = Tensor(uninitialized: gradY.shape)
        output.withUnsafeBufferPointer { o in
            gradY.withUnsafeBufferPointer { gy in
                g.withUnsafeMutableBufferPointer { p in
                    Parallel.ranges(p.count, minimum: 65536) { r in for i in r { p[i] = o[i] > 0 ? gy[i] : 0 } }
                }
            }
        }
        return g
    }
}

/// ReLU6 (EfficientNet-Lite): y = min(max(x, 0), 6); grad_x = grad_y where
/// 0 < x < 6, else 0 (PyTorch's hardtanh backward: both ends excluded).
public enum ReLU6 {
    public static func forward(_ x: Tensor) -> Tensor {
        var y = Tensor(uninitialized: x.shape)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                Parallel.ranges(xp.count, minimum: 65536) { r in for i in r { yp[i] = min(max(xp[i], 0), 6) } }
            }
        }
        return y
    }

    /// `output` may be x or y: 0 < y < 6 exactly where 0 < x < 6.
    public static func backward(gradY: Tensor, output: Tensor) -> Tensor {
        var g = Tensor(uninitialized: gradY.shape)
        output.withUnsafeBufferPointer { o in
            gradY.withUnsafeBufferPointer { gy in
                g.withUnsafeMutableBufferPointer { p in
                    Parallel.ranges(p.count, minimum: 65536) { r in
                        for i in r { p[i] = o[i] > 0 && o[i] < 6 ? gy[i] : 0 }
                    }
                }
            }
        }
        return g
    }
}
