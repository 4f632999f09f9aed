/// The EPS training objective on a batch of maps: L = L_cls + L_sal with
/// logits = global average pool of all C+1 maps, L_cls on the first C.
public enum EPSObjective {
    public struct Result {
        public var lossCls: Float
        public var lossSal: Float
        public var logits: [Float]  // [n, C+1]
        public var gradCam: Tensor  // d (L_cls + L_sal) / d cam
        public var saliency: SaliencyLoss.Result
        public var total: Float { lossCls + lossSal }
    }

    public static func compute(cam: Tensor, saliency: Tensor, labels: [Float], tau: Float, lam: Float) -> Result {
        let (n, k, _, _) = cam.nchw
        let pooled = GlobalAveragePool.forward(cam)
        let cls = MultilabelSoftMargin.compute(
            logits: pooled.values, labels: labels, batch: n, stride: k, classes: k - 1)
        let sal = SaliencyLoss.compute(cam: cam, saliency: saliency, labels: labels, tau: tau, lam: lam)
        var grad = GlobalAveragePool.backward(
            gradY: Tensor(shape: [n, k, 1, 1], data: cls.grad), inputShape: cam.shape)
        grad.add(sal.gradCam)
        return Result(lossCls: cls.loss, lossSal: sal.loss, logits: pooled.values, gradCam: grad, saliency: sal)
    }
}
