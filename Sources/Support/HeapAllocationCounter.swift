import Glibc

/// Reads the process-wide allocation counters of bench/alloc-counter when
/// that library is preloaded (LD_PRELOAD); nil otherwise. Lets a benchmark
/// report how many heap allocations (and bytes) one training step makes.
public enum HeapAllocationCounter {
    public struct Reading: Sendable {
        public var calls: UInt64
        public var bytes: UInt64
    }

    private typealias ReadFunction = @convention(c) (UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>) -> Void
    private static let reader: ReadFunction? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "eps_alloc_counter_read") else { return nil }
        return unsafeBitCast(symbol, to: ReadFunction.self)
    }()

    public static func read() -> Reading? {
        guard let reader else { return nil }
        var calls: UInt64 = 0
        var bytes: UInt64 = 0
        reader(&calls, &bytes)
        return Reading(calls: calls, bytes: bytes)
    }
}
