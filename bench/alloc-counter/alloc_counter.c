// Counts heap allocations of a process, for `eps-dist bench` under
// LD_PRELOAD (bench/alloc-counter/build.sh). Every allocation entry point
// forwards to glibc's own implementation and adds one call and its size to
// process-wide counters; `eps_alloc_counter_read` hands them to the bench,
// which looks the symbol up at run time and reports allocations per step.
// Not part of the eps-dist binary: the counters cost an atomic add per call.
#include <stddef.h>
#include <stdint.h>
#include <errno.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static uint64_t calls, bytes;

static void count(size_t size) {
    __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&bytes, size, __ATOMIC_RELAXED);
}

void eps_alloc_counter_read(uint64_t *outCalls, uint64_t *outBytes) {
    *outCalls = __atomic_load_n(&calls, __ATOMIC_RELAXED);
    *outBytes = __atomic_load_n(&bytes, __ATOMIC_RELAXED);
}

void *malloc(size_t size) { count(size); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(n * size); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { count(size); return __libc_realloc(p, size); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t size) { count(size); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(size); return __libc_memalign(alignment, size); }
void *valloc(size_t size) { count(size); return __libc_memalign(4096, size); }

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    count(size);
    void *p = __libc_memalign(alignment, size);
    if (!p && size) return ENOMEM;
    *out = p;
    return 0;
}
