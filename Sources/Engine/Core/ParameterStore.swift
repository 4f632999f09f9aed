import Glibc

/// Every parameter, gradient and momentum buffer of a network lives in one flat
/// arena; layers hold named views (offset, count). Allreduce, broadcast,
/// checkpoints and buckets are then plain slices of these buffers.
public final class ParameterStore: @unchecked Sendable {
    /// The reference optimizer's four parameter groups (docs/REFERENCE.md, section 4.2).
    public enum Group: Int, Sendable, CaseIterable {
        case backboneWeight = 0
        case backboneBias = 1
        case headWeight = 2
        case headBias = 3
        /// Learning-rate multiplier of the group.
        public var lrMultiplier: Float { [1, 2, 10, 20][rawValue] }
        /// Whether weight decay applies to the group (biases: no).
        public var decays: Bool { self == .backboneWeight || self == .headWeight }
    }

    public enum Kind: Sendable {
        case parameter(Group)
        case buffer
    }

    public struct Entry: Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public let count: Int
        public let kind: Kind
        /// False for frozen parameters (their gradient stays zero) and buffers.
        public var trainable: Bool
    }

    public private(set) var entries: [Entry] = []
    public private(set) var count = 0
    private var indexByName: [String: Int] = [:]
    public private(set) var values: UnsafeMutablePointer<Float>
    public private(set) var gradients: UnsafeMutablePointer<Float>
    public private(set) var momentum: UnsafeMutablePointer<Float>
    /// Adam's second moment, mapped on first use: SGD runs never have it.
    public var secondMoment: UnsafeMutablePointer<Float> {
        if let existing = secondMomentStorage { return existing }
        let made = Self.regrow(nil, capacity: 0, to: capacity)
        secondMomentStorage = made
        return made
    }
    private var secondMomentStorage: UnsafeMutablePointer<Float>?
    private var capacity = 0

    public init() {
        values = Self.regrow(nil, capacity: 0, to: 1)
        gradients = Self.regrow(nil, capacity: 0, to: 1)
        momentum = Self.regrow(nil, capacity: 0, to: 1)
        capacity = 1
    }

    deinit {
        for buffer in [values, gradients, momentum] + [secondMomentStorage].compactMap({ $0 }) {
            Self.release(buffer, capacity: capacity)
        }
    }

    /// While set (inside `sharingDeclarations`), declaring an existing name
    /// returns that entry instead of failing.
    private var sharing = false

    /// Runs `body`, in which declaring a name that already exists returns the
    /// existing entry (same shape required): a second copy of a network whose
    /// layers use the first copy's parameters. DeepLab-v2's multi-scale input
    /// runs the same network on three scales in one step, and each copy keeps
    /// its own activations for its backward pass; the gradients of all copies
    /// add into the one shared gradient.
    public func sharingDeclarations<T>(_ body: () -> T) -> T {
        sharing = true
        defer { sharing = false }
        return body()
    }

    /// Declares a named tensor and returns its index. Contents start at zero.
    @discardableResult
    public func declare(_ name: String, shape: [Int], kind: Kind, trainable: Bool = true) -> Int {
        if sharing, let existing = indexByName[name] {
            precondition(
                entries[existing].shape == shape,
                "shared parameter \(name): shape \(shape) vs \(entries[existing].shape)")
            return existing
        }
        precondition(indexByName[name] == nil, "parameter \(name) declared twice")
        let n = shape.reduce(1, *)
        let isParameter: Bool
        if case .parameter = kind { isParameter = true } else { isParameter = false }
        entries.append(
            Entry(
                name: name, shape: shape, offset: count, count: n, kind: kind,
                trainable: trainable && isParameter))
        indexByName[name] = entries.count - 1
        count += n
        grow(to: count)
        return entries.count - 1
    }

    private func grow(to needed: Int) {
        guard needed > capacity else { return }
        let newCapacity = max(needed, capacity * 2)
        values = Self.regrow(values, capacity: capacity, to: newCapacity)
        gradients = Self.regrow(gradients, capacity: capacity, to: newCapacity)
        momentum = Self.regrow(momentum, capacity: capacity, to: newCapacity)
        if let second = secondMomentStorage {
            secondMomentStorage = Self.regrow(second, capacity: capacity, to: newCapacity)
        }
        capacity = newCapacity
    }

    /// The arena is mapped on its own, outside the malloc heap: fresh zero
    /// pages that become resident only when written (the doubling's spare
    /// capacity costs address space, not memory), and a grown arena's old
    /// copy goes back to the kernel instead of staying in the heap. No huge
    /// pages: one written value would make its whole 2 MB resident, and an
    /// inference leaves the gradient and momentum pages unwritten.
    /// A mapping of `newCapacity` floats holding the `capacity` floats of
    /// `old` (all of them: the spare ones are zeros), which is unmapped.
    private static func regrow(
        _ old: UnsafeMutablePointer<Float>?, capacity: Int,
        to newCapacity: Int
    ) -> UnsafeMutablePointer<Float> {
        let fresh = MappedMemory.map(bytes: newCapacity * MemoryLayout<Float>.stride, hugePages: false)
            .bindMemory(to: Float.self, capacity: newCapacity)
        if let old {
            copyNonZeroPages(from: old, to: fresh, count: capacity)
            release(old, capacity: capacity)
        }
        return fresh
    }

    /// Floats per 4 KB page.
    static let pageFloats = 1024

    /// Copies `count` floats into a fresh (all-zero) mapping page by page,
    /// skipping the pages that hold only zeros, so they stay unmapped: an
    /// inference never writes the gradients or momentum, and copying their
    /// zeros at each doubling made half a gigabyte of ResNet-38's arena
    /// resident for nothing.
    static func copyNonZeroPages(
        from old: UnsafePointer<Float>, to fresh: UnsafeMutablePointer<Float>, count: Int
    ) {
        old.withMemoryRebound(to: UInt32.self, capacity: count) { bits in
            var first = 0
            while first < count {
                let end = min(first + pageFloats, count)
                if (first..<end).contains(where: { bits[$0] != 0 }) {
                    (fresh + first).update(from: old + first, count: end - first)
                }
                first = end
            }
        }
    }

    private static func release(_ buffer: UnsafeMutablePointer<Float>, capacity: Int) {
        MappedMemory.unmap(buffer, bytes: max(capacity, 1) * MemoryLayout<Float>.stride)
    }

    public func index(of name: String) -> Int? { indexByName[name] }
    public func entry(_ name: String) -> Entry? { indexByName[name].map { entries[$0] } }

    public func value(_ index: Int) -> UnsafeMutablePointer<Float> { values + entries[index].offset }
    public func gradient(_ index: Int) -> UnsafeMutablePointer<Float> { gradients + entries[index].offset }

    public func valueBuffer(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: value(index), count: entries[index].count)
    }
    public func gradientBuffer(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: gradient(index), count: entries[index].count)
    }

    /// Copies a tensor into a named entry (shapes must agree).
    public func set(_ name: String, _ tensor: Tensor) {
        guard let i = indexByName[name] else { preconditionFailure("no parameter \(name)") }
        precondition(entries[i].shape == tensor.shape, "\(name): shape \(tensor.shape) vs \(entries[i].shape)")
        tensor.withUnsafeBufferPointer { value(i).update(from: $0.baseAddress!, count: tensor.count) }
    }

    public func tensor(_ name: String) -> Tensor {
        guard let i = indexByName[name] else { preconditionFailure("no parameter \(name)") }
        return Tensor(shape: entries[i].shape, copying: UnsafeBufferPointer(valueBuffer(i)), cached: false)
    }

    public func gradientTensor(_ name: String) -> Tensor {
        guard let i = indexByName[name] else { preconditionFailure("no parameter \(name)") }
        return Tensor(shape: entries[i].shape, copying: UnsafeBufferPointer(gradientBuffer(i)), cached: false)
    }

    public func zeroGradients() { gradients.update(repeating: 0, count: count) }

    /// False when any gradient is NaN or infinite.
    public func gradientsAreFinite() -> Bool { Self.allFinite(gradients, count: count) }
    /// False when any value (parameter or buffer) is NaN or infinite.
    public func valuesAreFinite() -> Bool { Self.allFinite(values, count: count) }

    /// NaN and ±inf are the floats whose exponent bits are all ones: the
    /// largest exponent field over the buffer says it (an integer max, which
    /// the compiler vectorises, unlike a float sum).
    static func allFinite(_ p: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        let exponent: UInt32 = 0x7F80_0000
        var largest: UInt32 = 0
        p.withMemoryRebound(to: UInt32.self, capacity: count) { bits in
            for i in 0..<count { largest = max(largest, bits[i] & exponent) }
        }
        return largest != exponent
    }

    /// Freezes (no gradient, no update) or unfreezes a parameter.
    public func setTrainable(_ name: String, _ trainable: Bool) {
        guard let i = indexByName[name], case .parameter = entries[i].kind else { return }
        entries[i].trainable = trainable
    }

    /// A stable description of names, shapes and order: ranks compare its hash.
    public var layoutSignature: String {
        entries.map { "\($0.name):\($0.shape.map(String.init).joined(separator: "x"))" }.joined(separator: ";")
    }
}
