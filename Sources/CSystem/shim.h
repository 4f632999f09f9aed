// libc facilities Swift's Glibc module does not export.
#include <limits.h>
#include <malloc.h>

// Keep freed memory in the heap: no mmap for large blocks, no trimming.
static inline void csystem_keep_freed_memory(void) {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
}
