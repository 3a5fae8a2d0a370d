/* Library init/shutdown and version. */
#include <pthread.h>
#include "core/core.h"

#ifndef AMI_VERSION_STRING
#define AMI_VERSION_STRING "0.0.0"
#endif

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int init_count;

AMI_EXTERN(int) ami_init(void)
{
    pthread_mutex_lock(&init_lock);
    int n = ++init_count;
    pthread_mutex_unlock(&init_lock);
    ami_error_clear();
    return n;
}

AMI_EXTERN(int) ami_shutdown(void)
{
    pthread_mutex_lock(&init_lock);
    if (init_count > 0) init_count--;
    int n = init_count;
    pthread_mutex_unlock(&init_lock);
    return n;
}

AMI_EXTERN(const char *) ami_version(void) { return AMI_VERSION_STRING; }
AMI_EXTERN(int) ami_version_number(void) { return AMI_VERSION_NUMBER; }
