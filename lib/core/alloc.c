/* Allocator hooks. */
#include <stdlib.h>
#include "core/core.h"

static void *def_malloc(size_t n, void *p) { (void)p; return malloc(n ? n : 1); }
static void *def_realloc(void *ptr, size_t n, void *p) { (void)p; return realloc(ptr, n ? n : 1); }
static void def_free(void *ptr, void *p) { (void)p; free(ptr); }

static ami_allocator current = { AMI_ALLOCATOR_VERSION, def_malloc, def_realloc, def_free, NULL };

AMI_EXTERN(int) ami_allocator_set(const ami_allocator *alloc)
{
    if (!alloc) {
        current = (ami_allocator){ AMI_ALLOCATOR_VERSION, def_malloc, def_realloc, def_free, NULL };
        return 0;
    }
    if (alloc->version != AMI_ALLOCATOR_VERSION || !alloc->malloc_fn || !alloc->realloc_fn || !alloc->free_fn)
        return ami__error_set(AMI_EINVAL, "allocator: bad version or missing function");
    current = *alloc;
    return 0;
}

AMI_EXTERN(void *) ami_malloc(size_t size) { return current.malloc_fn(size, current.payload); }
AMI_EXTERN(void *) ami_realloc(void *ptr, size_t size) { return current.realloc_fn(ptr, size, current.payload); }
AMI_EXTERN(void) ami_free(void *ptr) { if (ptr) current.free_fn(ptr, current.payload); }
