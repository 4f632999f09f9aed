/// The post-processing of the reference infer.py: maps of every (scale, flip)
/// pass → one pseudo-mask.
/// Per pass: EPS maps [1, C+1, h, w] get a softmax over all C+1 channels (CAM
/// maps arrive ReLU'd, [1, C, h, w]); bilinear (align_corners false) to the
/// image size H×W; the C foreground channels × the image labels; flipped
/// passes flipped back. Then sum [C, H, W], per-class max-normalisation
/// (+1e-5), and argmax over [thr, normalised maps of labelled classes] with
/// ties to the lower index (0 = background, c + 1 = class c).
public struct CAMFusion {
    public let numClasses: Int
    public let height: Int
    public let width: Int
    public let labels: [Float]
    public let method: Method
    public private(set) var sum: Tensor  // [C, H, W]

    public init(numClasses: Int, height: Int, width: Int, labels: [Float], method: Method) {
        self.numClasses = numClasses
        self.height = height
        self.width = width
        self.labels = labels
        self.method = method
        sum = Tensor(zeros: [numClasses, height, width])
    }

    /// Adds one pass. maps [1, K, h, w] as the network produced them.
    public mutating func add(maps: Tensor, flipped: Bool) {
        let probabilities = method == .eps ? ChannelSoftmax.forward(maps) : maps
        let up = BilinearResize.forward(probabilities, height: height, width: width)
        let plane = height * width
        up.withUnsafeBufferPointer { src in
            sum.withUnsafeMutableBufferPointer { dst in
                for c in 0..<numClasses where labels[c] > 1e-5 {
                    let label = labels[c]
                    for y in 0..<height {
                        let row = c * plane + y * width
                        for x in 0..<width {
                            let sx = flipped ? width - 1 - x : x
                            dst[row + x] += src[row + sx] * label
                        }
                    }
                }
            }
        }
    }

    /// sum / (max over the image + 1e-5) per class; zeros for absent classes.
    public func normalized() -> Tensor {
        var out = Tensor(uninitialized: sum.shape)
        let plane = height * width
        sum.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<numClasses {
                    var peak = -Float.infinity
                    for i in 0..<plane { peak = max(peak, src[c * plane + i]) }
                    let inv = 1 / (peak + 1e-5)
                    for i in 0..<plane { dst[c * plane + i] = src[c * plane + i] * inv }
                }
            }
        }
        return out
    }

    /// Class index per pixel (0 background, c + 1 class c), row-major H×W.
    public func mask(threshold: Float, normalized norm: Tensor? = nil) -> [UInt8] {
        let norm = norm ?? normalized()
        return norm.withUnsafeBufferPointer {
            CAMMask.indices(
                maps: $0, classes: numClasses, plane: height * width, threshold: threshold,
                present: (0..<numClasses).map { labels[$0] > 1e-5 })
        }
    }
}
