/// The EPS saliency loss, exactly as the official `get_eps_loss`
/// (docs/REFERENCE.md, section 3.2). cam [n, C+1, h, w] raw maps, background last;
/// saliency [n, 1, H, W] in [0, 1]; labels [n, C] multi-hot.
public enum SaliencyLoss {
    public struct Result {
        public var loss: Float
        public var saliencyResized: Tensor  // [n, 1, h, w], nearest (legacy rule)
        public var prob: Tensor  // [n, C+1, h, w] softmax over channels
        public var overlap: [Float]  // [n, C] |round(p)∧round(S)| / (|round(p)| + 1e-4·h·w)
        public var valid: [Bool]  // [n, C] overlap > tau
        public var fgMap: Tensor  // [n, 1, h, w]
        public var bgMap: Tensor  // [n, 1, h, w] = 1 − Σ_bg p
        public var salPred: Tensor  // [n, 1, h, w] = λ·fg + (1 − λ)·bg
        public var gradCam: Tensor  // d loss / d cam
    }

    /// torch.round: half to even, so 0.5 → 0 and only values > 0.5 become 1.
    @inline(__always) static func roundsToOne(_ v: Float) -> Bool { v.rounded(.toNearestOrEven) >= 1 }

    public static func compute(cam: Tensor, saliency: Tensor, labels: [Float], tau: Float, lam: Float) -> Result {
        let (n, k, h, w) = cam.nchw
        let classes = k - 1
        let plane = h * w
        let sal = NearestResize.forward(saliency, height: h, width: w)
        let prob = ChannelSoftmax.forward(cam)
        var overlap = [Float](repeating: 0, count: n * classes)
        var valid = [Bool](repeating: false, count: n * classes)
        // Per (sample, channel): +λ for the foreground set, −(1 − λ) for the background set, 0 otherwise.
        var coefficient = [Float](repeating: 0, count: n * k)
        for b in 0..<n {
            for c in 0..<classes {
                var inter: Float = 0
                var area: Float = 0
                for i in 0..<plane {
                    let p: Float = roundsToOne(prob[(b * k + c) * plane + i]) ? 1 : 0
                    let s: Float = roundsToOne(sal[b * plane + i]) ? 1 : 0
                    inter += p * s
                    area += p + 1e-4
                }
                overlap[b * classes + c] = inter / area
                valid[b * classes + c] = overlap[b * classes + c] > tau
                if labels[b * classes + c] == 1 {
                    coefficient[b * k + c] = valid[b * classes + c] ? lam : -(1 - lam)
                }
            }
            coefficient[b * k + classes] = -(1 - lam)
        }
        var fg = Tensor(uninitialized: [n, 1, h, w])
        var bg = Tensor(uninitialized: [n, 1, h, w])
        var pred = Tensor(uninitialized: [n, 1, h, w])
        var gradProb = Tensor(zeros: cam.shape)
        var sumSquares: Double = 0
        let gradScale = 2 / Float(n * plane)
        fg.withUnsafeMutableBufferPointer { fg in
            bg.withUnsafeMutableBufferPointer { bg in
                pred.withUnsafeMutableBufferPointer { pred in
                    gradProb.withUnsafeMutableBufferPointer { gradProb in
                        prob.withUnsafeBufferPointer { prob in
                            sal.withUnsafeBufferPointer { sal in
                                for b in 0..<n {
                                    for i in 0..<plane {
                                        var fgSum: Float = 0
                                        var bgSum: Float = 0
                                        for c in 0..<k {
                                            let coeff = coefficient[b * k + c]
                                            let p = prob[(b * k + c) * plane + i]
                                            if coeff > 0 { fgSum += p } else if coeff < 0 { bgSum += p }
                                        }
                                        let o = b * plane + i
                                        fg[o] = fgSum
                                        bg[o] = 1 - bgSum
                                        pred[o] = lam * fg[o] + (1 - lam) * bg[o]
                                        let diff = pred[o] - sal[o]
                                        sumSquares += Double(diff * diff)
                                        for c in 0..<k where coefficient[b * k + c] != 0 {
                                            gradProb[(b * k + c) * plane + i] =
                                                gradScale * diff * coefficient[b * k + c]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Result(
            loss: Float(sumSquares / Double(n * plane)), saliencyResized: sal, prob: prob,
            overlap: overlap, valid: valid, fgMap: fg, bgMap: bg, salPred: pred,
            gradCam: ChannelSoftmax.backward(gradY: gradProb, y: prob))
    }
}
