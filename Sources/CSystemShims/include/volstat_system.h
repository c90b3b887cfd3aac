#ifndef VOLSTAT_SYSTEM_H
#define VOLSTAT_SYSTEM_H

/* Atomically exchanges two paths (Linux renameat2 with RENAME_EXCHANGE): both must exist.
   Returns 0, or -1 with errno set (EINVAL or ENOSYS where the file system cannot). */
int volstat_exchange_paths(const char *first, const char *second);

#endif
