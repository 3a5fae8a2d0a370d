/* Claim: ami_buf grows and hands text over; allocations go through the hooks. */
#include "check.h"

static size_t n_malloc, n_free;
static void *my_malloc(size_t n, void *p) { (void)p; n_malloc++; return malloc(n); }
static void *my_realloc(void *ptr, size_t n, void *p) { (void)p; if (!ptr) n_malloc++; return realloc(ptr, n); }
static void my_free(void *ptr, void *p) { (void)p; n_free++; free(ptr); }

static void buffer_grows_and_detaches(void)
{
    ami_buf b = AMI_BUF_INIT;
    for (int i = 0; i < 1000; i++) CHECK_RC(ami_buf_printf(&b, "%d,", i));
    CHECK(b.size > 3000);
    CHECK(strncmp(b.ptr, "0,1,2,", 6) == 0);
    CHECK_INT(strlen(b.ptr), b.size);
    ami_buf_clear(&b);
    CHECK_INT(b.size, 0);
    CHECK_STR(b.ptr, "");
    CHECK_RC(ami_buf_puts(&b, "hello"));
    char *s = ami_buf_detach(&b);
    CHECK_STR(s, "hello");
    CHECK(b.ptr == NULL);
    ami_free(s);
    ami_buf empty = AMI_BUF_INIT;
    s = ami_buf_detach(&empty);
    CHECK_STR(s, "");
    ami_free(s);
    ami_buf_dispose(&b);
}

static void hooks_are_used(void)
{
    ami_allocator bad = { 99, my_malloc, my_realloc, my_free, NULL };
    CHECK_INT(ami_allocator_set(&bad), AMI_EINVAL);
    ami_allocator a = { AMI_ALLOCATOR_VERSION, my_malloc, my_realloc, my_free, NULL };
    CHECK_RC(ami_allocator_set(&a));
    ami_buf b = AMI_BUF_INIT;
    CHECK_RC(ami_buf_puts(&b, "x"));
    ami_buf_dispose(&b);
    CHECK(n_malloc >= 1);
    CHECK_INT(n_malloc, n_free);
    CHECK_RC(ami_allocator_set(NULL));
}

int main(void)
{
    RUN(buffer_grows_and_detaches);
    RUN(hooks_are_used);
    return check_done();
}
