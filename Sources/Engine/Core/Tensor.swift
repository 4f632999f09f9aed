/// A dense Float32 tensor, contiguous, row-major (NCHW for images and maps).
/// Value semantics: copies share one buffer until one of them is written
/// (copy on write), and buffers come from and return to `BufferPool`, so a
/// repeated training step reuses the previous step's memory.
///
/// Kernels read and write through `withUnsafeBufferPointer` /
/// `withUnsafeMutableBufferPointer`; the element subscript suits reads and
/// occasional writes (each write checks that the buffer is unshared);
/// `values` copies everything into an array.
public struct Tensor: @unchecked Sendable {
    public var shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// A tensor whose values are undefined: for kernels that overwrite every element.
    /// `cached` false: its buffer is freed, not kept by the pool, when released
    /// (weights read from files, checkpoints: one-off sizes the step never asks for).
    public init(uninitialized shape: [Int], cached: Bool = true) {
        self.shape = shape
        storage = TensorStorage(count: shape.reduce(1, *), cached: cached)
    }

    public init(zeros shape: [Int]) {
        self.init(uninitialized: shape)
        storage.base.update(repeating: 0, count: storage.count)
    }

    public init(shape: [Int], data: [Float], cached: Bool = true) {
        self = data.withUnsafeBufferPointer { Tensor(shape: shape, copying: $0, cached: cached) }
    }

    public init(shape: [Int], copying source: UnsafeBufferPointer<Float>, cached: Bool = true) {
        precondition(shape.reduce(1, *) == source.count, "shape \(shape) does not match \(source.count) values")
        self.init(uninitialized: shape, cached: cached)
        if let from = source.baseAddress { storage.base.update(from: from, count: source.count) }
    }

    public var count: Int { storage.count }

    /// A copy of the values, in order.
    public var values: [Float] { Array(UnsafeBufferPointer(start: storage.base, count: storage.count)) }

    @inlinable public subscript(i: Int) -> Float {
        get { storage.base[i] }
        set {
            makeUnique()
            storage.base[i] = newValue
        }
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base, count: storage.count))
    }

    /// Writes in place when this tensor is the buffer's only owner, else into a copy first.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R)
        rethrows -> R
    {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.base, count: storage.count))
    }

    @usableFromInline mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// Dimensions of a 4-D NCHW tensor.
    public var nchw: (n: Int, c: Int, h: Int, w: Int) {
        precondition(shape.count == 4, "expected an NCHW tensor, got shape \(shape)")
        return (shape[0], shape[1], shape[2], shape[3])
    }

    /// The same values under a new shape of the same element count (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        var t = self
        t.shape = newShape
        return t
    }

    /// self += other, element-wise (shapes must match): residual sums and
    /// gradients meeting at a fork.
    public mutating func add(_ other: Tensor) {
        precondition(shape == other.shape, "cannot add \(other.shape) to \(shape)")
        other.withUnsafeBufferPointer { src in
            withUnsafeMutableBufferPointer { dst in
                Parallel.ranges(dst.count, minimum: 65536) { r in for i in r { dst[i] += src[i] } }
            }
        }
    }

    /// The NCHW tensor mirrored left–right (test-time flip).
    public func flippedHorizontally() -> Tensor {
        let (_, _, _, w) = nchw
        var out = Tensor(uninitialized: shape)
        withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<(count / w) {
                    let base = row * w
                    for x in 0..<w { dst[base + x] = src[base + w - 1 - x] }
                }
            }
        }
        return out
    }

    /// Tensors of equal shape [1, …] stacked along the first axis: [count, …].
    public init(stacking items: [Tensor]) {
        precondition(!items.isEmpty && items.allSatisfy { $0.shape == items[0].shape && $0.shape.first == 1 })
        var shape: [Int] = items[0].shape
        shape[0] = items.count
        self.init(uninitialized: shape)
        let each = items[0].count
        withUnsafeMutableBufferPointer { dst in
            for (i, item) in items.enumerated() {
                item.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + i * each).update(from: src.baseAddress!, count: each)
                }
            }
        }
    }

    /// Item i of the first axis as a tensor of shape [1, …] (a copy).
    public func batchItem(_ i: Int) -> Tensor {
        precondition(i >= 0 && i < shape[0], "item \(i) of a batch of \(shape[0])")
        let each = count / shape[0]
        var itemShape: [Int] = shape
        itemShape[0] = 1
        return withUnsafeBufferPointer { all in
            let start: UnsafePointer<Float> = all.baseAddress! + i * each
            return Tensor(shape: itemShape, copying: UnsafeBufferPointer(start: start, count: each))
        }
    }

    /// self ·= factor, element-wise (a loss scaled for gradient accumulation).
    public mutating func scale(by factor: Float) {
        withUnsafeMutableBufferPointer { dst in for i in dst.indices { dst[i] *= factor } }
    }

    /// Largest |a - b| over both tensors (shapes must match).
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "shape \(shape) vs \(other.shape)")
        var worst: Float = 0
        for i in 0..<count { worst = max(worst, abs(self[i] - other[i])) }
        return worst
    }

    public var maxAbs: Float {
        withUnsafeBufferPointer { $0.reduce(0) { max($0, abs($1)) } }
    }
}

/// The buffer behind a Tensor, taken from and given back to BufferPool.
@usableFromInline final class TensorStorage {
    @usableFromInline let base: UnsafeMutablePointer<Float>
    @usableFromInline let count: Int
    let cached: Bool

    init(count: Int, cached: Bool) {
        self.count = count
        self.cached = cached
        base = cached ? BufferPool.shared.take(max(count, 1)) : BufferPool.allocate(max(count, 1))
    }

    func copy() -> TensorStorage {
        let c = TensorStorage(count: count, cached: cached)
        c.base.update(from: base, count: count)
        return c
    }

    deinit {
        if cached {
            BufferPool.shared.give(base, count: max(count, 1))
        } else {
            BufferPool.free(base, count: max(count, 1))
        }
    }
}
