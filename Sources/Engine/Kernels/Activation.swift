/// ReLU: y = max(x, 0); grad_x = grad_y where x > 0 (so 0 at x == 0, as PyTorch).
public enum ReLU {
    public static func forward(_ x: Tensor) -> Tensor { Elementwise.map(x) { $0 > 0 ? $0 : 0 } }

    /// `output` may be x or y: both are > 0 at the same places.
    public static func backward(gradY: Tensor, output: Tensor) -> Tensor {
        Elementwise.gate(gradY, output) { $0 > 0 }
    }
}

/// ReLU6 (EfficientNet-Lite): y = min(max(x, 0), 6); grad_x = grad_y where
/// 0 < x < 6, else 0 (PyTorch's hardtanh backward: both ends excluded).
public enum ReLU6 {
    public static func forward(_ x: Tensor) -> Tensor { Elementwise.map(x) { min(max($0, 0), 6) } }

    /// `output` may be x or y: 0 < y < 6 exactly where 0 < x < 6.
    public static func backward(gradY: Tensor, output: Tensor) -> Tensor {
        Elementwise.gate(gradY, output) { $0 > 0 && $0 < 6 }
    }
}

/// The element-wise passes of the activations, split over the compute threads.
enum Elementwise {
    @inline(__always)
    static func map(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
        var y = Tensor(uninitialized: x.shape)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                Parallel.ranges(xp.count, minimum: 65536) { r in for i in r { yp[i] = f(xp[i]) } }
            }
        }
        return y
    }

    /// grad_y where `passes(output)`, else 0.
    @inline(__always)
    static func gate(_ gradY: Tensor, _ output: Tensor, _ passes: (Float) -> Bool) -> Tensor {
        var g = Tensor(uninitialized: gradY.shape)
        output.withUnsafeBufferPointer { o in
            gradY.withUnsafeBufferPointer { gy in
                g.withUnsafeMutableBufferPointer { p in
                    // Both loads unconditional: a select the compiler vectorises, not a branch
                    // per value (mispredicted half the time on ReLU's signs: 8 % of the small net's step).
                    Parallel.ranges(p.count, minimum: 65536) { r in
                        for i in r {
                            let g = gy[i]
                            p[i] = passes(o[i]) ? g : 0
                        }
                    }
                }
            }
        }
        return g
    }
}
