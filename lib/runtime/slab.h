/* Internal: the size-class allocator of Duktape heaps' small blocks (slab.c).
 *
 * Blocks of 1..AMI__SLAB_MAX bytes are carved, without a header, from 32 KiB
 * pages of one class each (8-byte steps up to 256, then ~1/32); the pages come from one
 * process-wide reserved address range, so whether a block is ours is a range
 * check and its class is in its page's header (found by aligning the address
 * down).  The pages are shared by every instance of the process: a sleeping
 * instance's blocks sit packed among other instances' instead of each instance
 * keeping a partly used page of every class.  Thread-safe: any thread may
 * allocate or free any block (an instance resumes on any runner). */
#ifndef AMI_RUNTIME_SLAB_H
#define AMI_RUNTIME_SLAB_H
#include <stddef.h>

/* The biggest block served (the biggest class); bigger ones (or when the
 * slab is off or its range is full) go to malloc. */
#define AMI__SLAB_MAX 4088
/* How many classes there are (slab.c's table). */
#define AMI__SLAB_CLASSES 92
/* Page size and alignment of the slab's pages. */
#define AMI__SLAB_PAGE 32768

/* Empty pages kept resident for reuse (1 MiB)... */
#define AMI__SLAB_KEEP_EMPTY (((size_t)1 << 20) / AMI__SLAB_PAGE)
/* ...once there are this many (8 MiB) the rest are given back to the system,
 * in one batch: a teardown of a big heap empties pages by the hundred, and
 * the next instances take them again */
#define AMI__SLAB_RELEASE_AT (((size_t)8 << 20) / AMI__SLAB_PAGE)

/* A block of `size` bytes (1..AMI__SLAB_MAX), 8-byte aligned, and in *got the
 * bytes it holds (its class, ami__slab_round(size)).  NULL when size is 0 or
 * over AMI__SLAB_MAX, the slab is off (ami__slab_enable) or its range or the
 * system's memory is exhausted: the caller then uses malloc. */
void *ami__slab_alloc(size_t size, size_t *got);

/* The bytes p holds when p is a block of the slab (its class size); 0 for any
 * other pointer (NULL, malloc's blocks).  Needs no lock. */
size_t ami__slab_size(const void *p);

/* The class a block of `size` bytes gets (what it holds): 0 when size is 0
 * or over AMI__SLAB_MAX. */
size_t ami__slab_round(size_t size);

/* Gives back a block p of the slab (ami__slab_size(p) != 0), from any thread. */
void ami__slab_free(void *p);

/* Whether new small blocks come from the slab (1) or malloc (0).  On by
 * default, off in AddressSanitizer builds so that ASan checks Duktape's
 * blocks; tests turn it on to check the slab itself.  Blocks already
 * allocated are freed where they came from either way. */
void ami__slab_enable(int on);
int ami__slab_enabled(void);

/* Counts, for tests and figures: pages holding blocks, empty pages kept
 * resident for reuse, empty pages given back to the system (reused first,
 * before new ones), pages ever taken from the range, blocks live and the
 * bytes they hold (their classes). */
typedef struct {
    size_t pages_used, pages_empty, pages_released, pages_total, blocks, bytes;
} ami__slab_stat;
void ami__slab_stats(ami__slab_stat *out);

#endif
