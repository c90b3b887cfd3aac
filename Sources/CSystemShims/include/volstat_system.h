#ifndef VOLSTAT_SYSTEM_H
#define VOLSTAT_SYSTEM_H

#include <stddef.h>

/* Atomically exchanges two paths (Linux renameat2 with RENAME_EXCHANGE): both must exist.
   Returns 0, or -1 with errno set (EINVAL or ENOSYS where the file system cannot). */
int volstat_exchange_paths(const char *first, const char *second);

/* Faults in every page of an anonymous mapping as writable, zeroed, in one call (Linux 5.14 and
   later; elsewhere returns -1 and the pages fault in one by one as they are touched). */
int volstat_populate_writable(void *start, size_t length);

/* Asks the processor to bring the cache line holding `address` in, without waiting for it: the
   hash tables call it at the start of a row, so that the lookup at its end finds the slot in cache. */
static inline void volstat_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/* The length of a prefix of `bytes` that is well-formed UTF-8 without U+FFFD and ends at the
   start of a character: most of them where the processor has AVX2 (32 bytes per step), 0 where it
   has not. The caller checks the rest, one character at a time, to find where a problem is. */
size_t volstat_utf8_checked_prefix(const unsigned char *bytes, size_t count);

/* Whether `volstat_utf8_checked_prefix` checks blocks on this processor (else it returns 0). */
int volstat_utf8_has_block_check(void);

/* For 32 bytes at `bytes`: bit i of *delimiters is set when byte i is `delimiter`, of *lineBreaks
   when it is LF or CR, and of *quotes when it is `quote` (the CSV tokenizer's fast path). SSE2
   where there is SSE2 (every x86-64), one byte at a time elsewhere. */
#if defined(__SSE2__)
#include <emmintrin.h>
static inline unsigned int volstat_csv_mask16(__m128i block, char byte) {
    return (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(block, _mm_set1_epi8(byte)));
}

static inline void volstat_csv_masks32(const unsigned char *bytes, unsigned char delimiter, unsigned char quote,
                                       unsigned int *delimiters, unsigned int *lineBreaks, unsigned int *quotes) {
    __m128i low = _mm_loadu_si128((const __m128i *)bytes);
    __m128i high = _mm_loadu_si128((const __m128i *)(bytes + 16));
    *delimiters = volstat_csv_mask16(low, (char)delimiter) | volstat_csv_mask16(high, (char)delimiter) << 16;
    *lineBreaks = (volstat_csv_mask16(low, '\n') | volstat_csv_mask16(low, '\r')) |
                  (volstat_csv_mask16(high, '\n') | volstat_csv_mask16(high, '\r')) << 16;
    *quotes = volstat_csv_mask16(low, (char)quote) | volstat_csv_mask16(high, (char)quote) << 16;
}
#else
static inline void volstat_csv_masks32(const unsigned char *bytes, unsigned char delimiter, unsigned char quote,
                                       unsigned int *delimiters, unsigned int *lineBreaks, unsigned int *quotes) {
    unsigned int d = 0, l = 0, q = 0;
    for (int i = 0; i < 32; i++) {
        unsigned char b = bytes[i];
        if (b == delimiter) d |= 1u << i;
        if (b == '\n' || b == '\r') l |= 1u << i;
        if (b == quote) q |= 1u << i;
    }
    *delimiters = d;
    *lineBreaks = l;
    *quotes = q;
}
#endif

#endif
