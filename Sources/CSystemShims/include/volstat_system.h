#ifndef VOLSTAT_SYSTEM_H
#define VOLSTAT_SYSTEM_H

/* Atomically exchanges two paths (Linux renameat2 with RENAME_EXCHANGE): both must exist.
   Returns 0, or -1 with errno set (EINVAL or ENOSYS where the file system cannot). */
int volstat_exchange_paths(const char *first, const char *second);

/* Asks the processor to bring the cache line holding `address` in, without waiting for it: the
   hash tables call it at the start of a row, so that the lookup at its end finds the slot in cache. */
static inline void volstat_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
