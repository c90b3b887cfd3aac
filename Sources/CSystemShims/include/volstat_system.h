#ifndef VOLSTAT_SYSTEM_H
#define VOLSTAT_SYSTEM_H

#include <stddef.h>
#include <stdint.h>

/* Atomically exchanges two paths (Linux renameat2 with RENAME_EXCHANGE): both must exist.
   Returns 0, or -1 with errno set (EINVAL or ENOSYS where the file system cannot). */
int volstat_exchange_paths(const char *first, const char *second);

/* Faults in every page that `start`..<`start + length` reaches as writable, by a write that
   changes nothing (a locked OR of 0 on x86, so the owner may write the same memory meanwhile).
   A page fault holds only the faulting mapping (Linux 6.4 and later), while madvise's
   MADV_POPULATE_WRITE holds the whole process's memory map: every other thread's mmap, munmap
   and mprotect (a malloc growing its heap) waits for it. Elsewhere on Linux it is that madvise;
   on other systems nothing (the pages fault in as they are first written). */
void volstat_touch_writable(void *start, size_t length);

/* Maps in every page of a file mapping that the file has, readable, in one call (Linux 5.14 and
   later). Returns 0; -1 with errno EFAULT or ENOMEM where the file no longer has the pages (it
   shrank), EINVAL where the kernel cannot (the pages then map in as they are touched). */
int volstat_populate_readable(void *start, size_t length);

/* Registers a mapped input file's memory: a bus error (SIGBUS) there, which happens when another
   program shrinks the file while it is read (or its storage fails), then ends the process with
   `message` (copied) on standard error and exit status 3 (an input that cannot be read), instead
   of a crash without a word; any other bus error goes to the action set before (the default one:
   a crash). Returns 0, or -1 when no more can be registered (do not map the file then). Remove
   the registration before unmapping. */
int volstat_mapped_input_add(const void *start, size_t length, const char *message);
void volstat_mapped_input_remove(const void *start);

/* Asks the processor to bring the cache line holding `address` in, without waiting for it: the
   hash tables call it at the start of a row, so that the lookup at its end finds the slot in cache. */
static inline void volstat_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/* The length of a prefix of `bytes` that is well-formed UTF-8 without U+FFFD and ends at the
   start of a character: most of them where the processor has AVX2 (32 bytes per step), 0 where it
   has not. The caller checks the rest, one character at a time, to find where a problem is. */
size_t volstat_utf8_checked_prefix(const unsigned char *bytes, size_t count);

/* Whether the processor (and the system, which must save its registers) has AVX2: the fast paths
   compiled for it are chosen with this, at run time. 1 or 0; asked once, then remembered. Without
   it, `volstat_utf8_checked_prefix` returns 0. */
int volstat_cpu_has_avx2(void);

/* The bytes of a 64-byte block that matter to the CSV tokenizer's fast path, one bit per byte. */
typedef struct {
    uint64_t delimiters;
    /* LF and CR. */
    uint64_t lineBreaks;
    uint64_t quotes;
} volstat_csv_masks;

/* Finds `delimiter`, the line breaks and `quote` in the 64 bytes at `bytes`: four 16-byte SSE2
   steps on x86-64, one byte at a time elsewhere. */
void volstat_csv_masks64(const unsigned char *bytes, unsigned char delimiter, unsigned char quote,
                         volstat_csv_masks *masks);

/* The same in two 32-byte AVX2 steps: call it only where `volstat_cpu_has_avx2` says so
   (elsewhere it is `volstat_csv_masks64`). */
void volstat_csv_masks64_avx2(const unsigned char *bytes, unsigned char delimiter, unsigned char quote,
                              volstat_csv_masks *masks);

#endif
