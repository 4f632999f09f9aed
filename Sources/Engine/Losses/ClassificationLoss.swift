import Foundation

/// Multilabel soft-margin loss (PyTorch's F.multilabel_soft_margin_loss):
/// L = mean_n (1/C) Σ_c −[y·logσ(x) + (1 − y)·logσ(−x)], with a stable
/// logσ(x) = min(x, 0) − log1p(exp(−|x|)). Gradient: (σ(x) − y)/(N·C).
public enum MultilabelSoftMargin {
    /// logits [n, stride] of which the first `classes` columns are scored
    /// (EPS passes its C+1 logits and scores the first C); labels [n, classes].
    /// Returns the loss and d loss / d logits [n, stride] (zero past `classes`).
    public static func compute(
        logits: [Float], labels: [Float], batch n: Int, stride: Int,
        classes c: Int
    ) -> (loss: Float, grad: [Float]) {
        var total: Double = 0
        var grad = [Float](repeating: 0, count: n * stride)
        let scale = 1 / Float(n * c)
        for b in 0..<n {
            for k in 0..<c {
                let x = logits[b * stride + k]
                let y = labels[b * c + k]
                total -= Double(y * logSigmoid(x) + (1 - y) * logSigmoid(-x))
                grad[b * stride + k] = (sigmoid(x) - y) * scale
            }
        }
        return (Float(total / Double(n * c)), grad)
    }

    @inline(__always) static func logSigmoid(_ x: Float) -> Float { min(x, 0) - log1pf(expf(-abs(x))) }
    @inline(__always) static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + expf(-x)) : expf(x) / (1 + expf(x))
    }
}
