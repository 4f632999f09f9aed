/// Max pooling, square window, padding acts as −inf.
/// x [n, c, h, w] → y [n, c, hout, wout], hout = (h + 2·pad − k)/stride + 1
/// rounded down, or up with `ceilMode` (the caffe-style stem of DeepLab-v2:
/// 321 → 161 → 81, not 80); see `outputSize`.
/// Ties keep the first maximum in row-major window order (PyTorch's CPU rule),
/// so the gradient goes to exactly one input per window; windows accumulate.
public enum MaxPool {
    public struct Result {
        public var y: Tensor
        public var argmax: [Int32]
    }

    public static func forward(_ x: Tensor, kernel: Int, stride: Int, pad: Int, ceilMode: Bool = false) -> Result {
        var argmax: [Int32] = []
        let y = forward(x, kernel: kernel, stride: stride, pad: pad, ceilMode: ceilMode, argmax: &argmax)
        return Result(y: y, argmax: argmax)
    }

    /// Output length along one axis, as PyTorch: with `ceilMode` the last
    /// window may hang over the end, but must start inside the input or its
    /// left padding (else it is dropped).
    public static func outputSize(_ size: Int, kernel: Int, stride: Int, pad: Int, ceilMode: Bool) -> Int {
        let span = size + 2 * pad - kernel
        var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        if ceilMode && (out - 1) * stride >= size + pad { out -= 1 }
        return out
    }

    /// The same, filling `arg` in place (its storage is reused when the size is unchanged).
    public static func forward(
        _ x: Tensor, kernel: Int, stride: Int, pad: Int, ceilMode: Bool = false, argmax arg: inout [Int32]
    ) -> Tensor {
        let (n, c, h, w) = x.nchw
        precondition(pad <= kernel / 2, "max pool: padding \(pad) must be at most half the window \(kernel)")
        let hout = outputSize(h, kernel: kernel, stride: stride, pad: pad, ceilMode: ceilMode)
        let wout = outputSize(w, kernel: kernel, stride: stride, pad: pad, ceilMode: ceilMode)
        var y = Tensor(uninitialized: [n, c, hout, wout])
        if arg.count != y.count { arg = [Int32](repeating: -1, count: y.count) }
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                for p in 0..<(n * c) {
                    for oy in 0..<hout {
                        for ox in 0..<wout {
                            var best = -Float.infinity
                            var bestIndex = -1
                            for ky in 0..<kernel {
                                for kx in 0..<kernel {
                                    let iy = oy * stride - pad + ky
                                    let ix = ox * stride - pad + kx
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let i = (p * h + iy) * w + ix
                                    if bestIndex < 0 || xp[i] > best {
                                        best = xp[i]
                                        bestIndex = i
                                    }
                                }
                            }
                            let o = (p * hout + oy) * wout + ox
                            yp[o] = best
                            arg[o] = Int32(bestIndex)
                        }
                    }
                }
            }
        }
        return y
    }

    public static func backward(gradY: Tensor, argmax: [Int32], inputShape: [Int]) -> Tensor {
        var gx = Tensor(zeros: inputShape)
        gradY.withUnsafeBufferPointer { gy in
            gx.withUnsafeMutableBufferPointer { g in
                for o in 0..<gy.count { g[Int(argmax[o])] += gy[o] }
            }
        }
        return gx
    }
}

/// Global average pool: x [n, c, h, w] → y [n, c, 1, 1] (mean over h·w).
public enum GlobalAveragePool {
    public static func forward(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = x.nchw
        let plane = h * w
        var y = Tensor(uninitialized: [n, c, 1, 1])
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                for p in 0..<(n * c) {
                    var s: Float = 0
                    for i in 0..<plane { s += xp[p * plane + i] }
                    yp[p] = s / Float(plane)
                }
            }
        }
        return y
    }

    public static func backward(gradY: Tensor, inputShape: [Int]) -> Tensor {
        let plane = inputShape[2] * inputShape[3]
        var gx = Tensor(uninitialized: inputShape)
        gx.withUnsafeMutableBufferPointer { gxp in
            for p in 0..<gradY.count {
                let g = gradY[p] / Float(plane)
                for i in 0..<plane { gxp[p * plane + i] = g }
            }
        }
        return gx
    }
}
