import CSystem

/// Large buffers allocated and freed over and over by the libraries under
/// the step — OpenMPI's temporary buffers of each allreduce, OpenBLAS's
/// per-GEMM job tables — would go back to the kernel on every free
/// (mmap/munmap above 32 MB, heap trimming below) and fault their pages in
/// again on every call: a 420 MB allreduce took 0.23 s instead of 0.12 s.
/// Keeping freed memory in the heap avoids it. (Tensor buffers are cached by
/// BufferPool, and the parameter arena is mapped on its own, so neither
/// leaves garbage in the heap.)
///
/// Inference is the opposite case: every image and scale has new sizes, so
/// kept blocks fragment the heap; it gives blocks of 16 MB and more back on
/// free. (Tensor buffers of 1 MB and more bypass malloc there: MappedMemory.)
enum MemoryPolicy {
    static func keepFreedMemory() { csystem_keep_freed_memory() }
    static func returnFreedMemory() { csystem_return_freed_memory() }
}
