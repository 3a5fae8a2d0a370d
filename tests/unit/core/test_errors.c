/* Claim: every error code has its own message, and the last error is per thread. */
#include <pthread.h>
#include "check.h"
#include "core/core.h"

static void codes_have_distinct_messages(void)
{
    int codes[] = {
#define X(name, value, msg) name,
        AMI_ERROR_TABLE(X)
#undef X
    };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        CHECK(codes[i] <= 0);
        for (size_t j = i + 1; j < n; j++) {
            CHECK(codes[i] != codes[j]);
            CHECK(strcmp(ami_strerror(codes[i]), ami_strerror(codes[j])) != 0);
        }
    }
    CHECK_STR(ami_strerror(12345), "unknown error");
    CHECK_STR(ami_strerror(AMI_ECONFLICT), "version conflict");
}

static void *other_thread(void *arg)
{
    (void)arg;
    CHECK_STR(ami_error_last(), "");            /* not the main thread's message */
    ami__error_set(AMI_EIO, "thread %d", 2);
    CHECK_STR(ami_error_last(), "thread 2");
    return NULL;
}

static void last_error_is_per_thread(void)
{
    ami_error_clear();
    CHECK(ami_error_last() != NULL);
    CHECK_STR(ami_error_last(), "");
    CHECK_INT(ami__error_set(AMI_ENOTFOUND, "worker %s", "abc"), AMI_ENOTFOUND);
    pthread_t t;
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, NULL);
    CHECK_STR(ami_error_last(), "worker abc");
    CHECK_INT(ami_error_last_code(), AMI_ENOTFOUND);
    /* a message may quote the previous one */
    ami__error_set(AMI_EIO, "wrapped: %s", ami_error_last());
    CHECK_STR(ami_error_last(), "wrapped: worker abc");
}

static void version_matches(void)
{
    CHECK_INT(ami_version_number(), AMI_VERSION_NUMBER);
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", AMI_VERSION_MAJOR, AMI_VERSION_MINOR, AMI_VERSION_PATCH);
    CHECK_STR(ami_version(), v);
    CHECK_INT(ami_init(), 1);
    CHECK_INT(ami_init(), 2);
    CHECK_INT(ami_shutdown(), 1);
    CHECK_INT(ami_shutdown(), 0);
}

int main(void)
{
    RUN(codes_have_distinct_messages);
    RUN(last_error_is_per_thread);
    RUN(version_matches);
    return check_done();
}
