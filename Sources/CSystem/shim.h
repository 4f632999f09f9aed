// libc facilities Swift's Glibc module does not export.
#include <limits.h>
#include <malloc.h>

// Keep freed memory in the heap: no mmap for large blocks, no trimming.
static inline void csystem_keep_freed_memory(void) {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
}

// Give large freed blocks back: blocks of 16 MB and more are mapped on their
// own and unmapped when freed; smaller ones stay in the heap, untrimmed.
static inline void csystem_return_freed_memory(void) {
    mallopt(M_MMAP_MAX, 65536);
    mallopt(M_MMAP_THRESHOLD, 16 << 20);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
}
