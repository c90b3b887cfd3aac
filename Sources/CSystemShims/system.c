#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "volstat_system.h"

int volstat_exchange_paths(const char *first, const char *second) {
#ifdef SYS_renameat2
    return (int)syscall(SYS_renameat2, AT_FDCWD, first, AT_FDCWD, second, 2 /* RENAME_EXCHANGE */);
#else
    errno = ENOSYS;
    return -1;
#endif
}

/* Linux 5.14's value, for C libraries whose headers predate it. */
#if defined(__linux__) && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23
#endif

int volstat_populate_writable(void *start, size_t length) {
#ifdef MADV_POPULATE_WRITE
    return madvise(start, length, MADV_POPULATE_WRITE);
#else
    (void)start;
    (void)length;
    errno = EINVAL;
    return -1;
#endif
}
