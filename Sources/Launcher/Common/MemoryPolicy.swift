import CSystem

/// The training step frees and re-allocates the same large activation
/// buffers every step. glibc would hand each one above 32 MB back to the
/// kernel (mmap/munmap) and fault its pages in again next step — seconds of
/// system time per ResNet-38 step. Keeping freed memory in the heap avoids it.
enum MemoryPolicy {
    static func keepFreedMemory() { csystem_keep_freed_memory() }
}
