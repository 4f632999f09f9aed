import Foundation

/// Caches the float buffers of released tensors by size, so a training step
/// that repeats the previous step's shapes takes every activation and
/// gradient buffer from the cache instead of the heap (no malloc, no page
/// faults: the step is allocation-free for tensor data from the second step
/// on). Buffers are 64-byte aligned. Thread-safe: a tensor may be created
/// or released on any thread.
///
/// Workloads whose shapes keep changing (inference over images of many
/// sizes) turn `keepsReleasedBuffers` off so the cache does not grow with
/// every new size.
public final class BufferPool: @unchecked Sendable {
    public static let shared = BufferPool()

    public struct Statistics: Sendable, Equatable {
        /// Buffers taken from the heap (cache misses) and their bytes, since start.
        public var heapAllocations = 0
        public var heapBytes = 0
        /// Buffers served from the cache, since start.
        public var reuses = 0
        /// Bytes held by live tensors, by the cache, and the peak of their sum.
        public var liveBytes = 0
        public var cachedBytes = 0
        public var peakBytes = 0
    }

    /// Cached buffers of one size. A class, so taking and giving modify its
    /// array in place (a dictionary of arrays, `free[count]?.popLast()`,
    /// made three heap allocations per take: measured with bench/alloc-counter).
    private final class FreeList { var buffers: [UnsafeMutablePointer<Float>] = [] }

    private let lock = NSLock()
    private var free: [Int: FreeList] = [:]
    private var stats = Statistics()
    private var keeping = true

    /// A buffer of exactly `count` floats (count ≥ 1); contents undefined.
    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        defer { lock.unlock() }
        let bytes = count * MemoryLayout<Float>.stride
        stats.liveBytes += bytes
        if let buffer = free[count]?.buffers.popLast() {
            stats.reuses += 1
            stats.cachedBytes -= bytes
            return buffer
        }
        stats.heapAllocations += 1
        stats.heapBytes += bytes
        stats.peakBytes = max(stats.peakBytes, stats.liveBytes + stats.cachedBytes)
        return Self.allocate(count)
    }

    /// A fresh 64-byte-aligned buffer of `count` floats, outside the cache
    /// (large ones mapped on their own: MappedMemory says why).
    static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> { MappedMemory.allocateFloats(count) }

    /// Frees a buffer from `allocate` (or `take`) of the same `count`.
    static func free(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        MappedMemory.deallocateFloats(buffer, count: count)
    }

    /// Returns a buffer from `take` to the cache (or frees it when caching is off).
    func give(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        lock.lock()
        defer { lock.unlock() }
        let bytes = count * MemoryLayout<Float>.stride
        stats.liveBytes -= bytes
        guard keeping else {
            Self.free(buffer, count: count)
            return
        }
        stats.cachedBytes += bytes
        if let list = free[count] {
            list.buffers.append(buffer)
        } else {
            let list = FreeList()
            list.buffers.append(buffer)
            free[count] = list
        }
    }

    /// Whether released buffers are kept for reuse (default) or freed at once:
    /// off for work whose shapes keep changing (inference over images of many
    /// sizes), where a size-keyed cache would hold a copy of every size seen.
    /// Turning it off frees what is cached.
    public var keepsReleasedBuffers: Bool {
        get {
            lock.lock()
            defer { lock.unlock() }
            return keeping
        }
        set {
            lock.lock()
            keeping = newValue
            lock.unlock()
            if !newValue { trim() }
        }
    }

    /// Frees every cached buffer (live tensors are untouched).
    public func trim() {
        lock.lock()
        defer { lock.unlock() }
        for (count, list) in free { for b in list.buffers { Self.free(b, count: count) } }
        free.removeAll()
        stats.cachedBytes = 0
    }

    /// How many buffers of each size (in floats) the cache holds.
    public var cachedBufferCounts: [Int: Int] {
        lock.lock()
        defer { lock.unlock() }
        return free.filter { !$0.value.buffers.isEmpty }.mapValues(\.buffers.count)
    }

    public var statistics: Statistics {
        lock.lock()
        defer { lock.unlock() }
        return stats
    }
}
