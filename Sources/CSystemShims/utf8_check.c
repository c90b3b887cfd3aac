#include "volstat_system.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

/* Keiser and Lemire's check ("Validating UTF-8 in less than one instruction per byte", 2021):
   three table lookups on the high and low nibbles of each byte and the one before it flag every
   ill-formed pair, and the bytes two and three back tell where a continuation byte is due. */
#define TOO_SHORT 0x01
#define TOO_LONG 0x02
#define OVERLONG_3 0x04
#define TOO_LARGE 0x08
#define SURROGATE 0x10
#define OVERLONG_2 0x20
#define TOO_LARGE_1000 0x40
#define OVERLONG_4 0x40
#define TWO_CONTINUATIONS 0x80
#define CARRY (TOO_SHORT | TOO_LONG | TWO_CONTINUATIONS)

/* A table of 16 byte values for both 128-bit lanes (values above 0x7F cast, as the intrinsics take char). */
#define REPEAT16(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)                                                  \
    (char)(a), (char)(b), (char)(c), (char)(d), (char)(e), (char)(f), (char)(g), (char)(h), (char)(i), (char)(j), \
        (char)(k), (char)(l), (char)(m), (char)(n), (char)(o), (char)(p), (char)(a), (char)(b), (char)(c),         \
        (char)(d), (char)(e), (char)(f), (char)(g), (char)(h), (char)(i), (char)(j), (char)(k), (char)(l),         \
        (char)(m), (char)(n), (char)(o), (char)(p)

__attribute__((target("avx2"))) static inline __m256i previous_bytes(__m256i input, __m256i before, int count) {
    __m256i joined = _mm256_permute2x128_si256(before, input, 0x21);
    switch (count) {
    case 1: return _mm256_alignr_epi8(input, joined, 15);
    case 2: return _mm256_alignr_epi8(input, joined, 14);
    default: return _mm256_alignr_epi8(input, joined, 13);
    }
}

__attribute__((target("avx2"))) static size_t checked_prefix_avx2(const unsigned char *bytes, size_t count) {
    const __m256i firstHigh = _mm256_setr_epi8(REPEAT16(
        TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TWO_CONTINUATIONS,
        TWO_CONTINUATIONS, TWO_CONTINUATIONS, TWO_CONTINUATIONS, TOO_SHORT | OVERLONG_2, TOO_SHORT,
        TOO_SHORT | OVERLONG_3 | SURROGATE, TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4));
    const __m256i firstLow = _mm256_setr_epi8(REPEAT16(
        CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4, CARRY | OVERLONG_2, CARRY, CARRY, CARRY | TOO_LARGE,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000));
    const __m256i secondHigh = _mm256_setr_epi8(REPEAT16(
        TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
        TOO_LONG | OVERLONG_2 | TWO_CONTINUATIONS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
        TOO_LONG | OVERLONG_2 | TWO_CONTINUATIONS | OVERLONG_3 | TOO_LARGE,
        TOO_LONG | OVERLONG_2 | TWO_CONTINUATIONS | SURROGATE | TOO_LARGE,
        TOO_LONG | OVERLONG_2 | TWO_CONTINUATIONS | SURROGATE | TOO_LARGE, TOO_SHORT, TOO_SHORT, TOO_SHORT,
        TOO_SHORT));
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    /* Nonzero where a lead byte in the last three positions still needs continuation bytes. */
    const __m256i incompleteAbove = _mm256_setr_epi8(
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, (char)(0xF0 - 1), (char)(0xE0 - 1), (char)(0xC0 - 1));
    __m256i before = _mm256_setzero_si256();
    __m256i incomplete = _mm256_setzero_si256();
    size_t index = 0;
    for (; index + 32 <= count; index += 32) {
        __m256i input = _mm256_loadu_si256((const __m256i *)(bytes + index));
        if (_mm256_movemask_epi8(input) == 0) {
            if (!_mm256_testz_si256(incomplete, incomplete)) break;
            before = input;
            continue;
        }
        __m256i previous1 = previous_bytes(input, before, 1);
        __m256i previous2 = previous_bytes(input, before, 2);
        __m256i previous3 = previous_bytes(input, before, 3);
        __m256i special = _mm256_and_si256(
            _mm256_and_si256(
                _mm256_shuffle_epi8(firstHigh, _mm256_and_si256(_mm256_srli_epi16(previous1, 4), nibble)),
                _mm256_shuffle_epi8(firstLow, _mm256_and_si256(previous1, nibble))),
            _mm256_shuffle_epi8(secondHigh, _mm256_and_si256(_mm256_srli_epi16(input, 4), nibble)));
        __m256i continuationDue = _mm256_and_si256(
            _mm256_or_si256(_mm256_subs_epu8(previous2, _mm256_set1_epi8(0xE0 - 0x80)),
                            _mm256_subs_epu8(previous3, _mm256_set1_epi8(0xF0 - 0x80))),
            _mm256_set1_epi8((char)0x80));
        /* U+FFFD, the replacement character a transcoder leaves for bytes it could not read. */
        __m256i replacement = _mm256_and_si256(
            _mm256_and_si256(_mm256_cmpeq_epi8(previous2, _mm256_set1_epi8((char)0xEF)),
                             _mm256_cmpeq_epi8(previous1, _mm256_set1_epi8((char)0xBF))),
            _mm256_cmpeq_epi8(input, _mm256_set1_epi8((char)0xBD)));
        __m256i error = _mm256_or_si256(_mm256_xor_si256(special, continuationDue), replacement);
        if (!_mm256_testz_si256(error, error)) break;
        incomplete = _mm256_subs_epu8(input, incompleteAbove);
        before = input;
    }
    /* The blocks before `index` are clean but for a character cut off at their end: step back
       past it to the start of a character. */
    if (index < 4) return 0;
    index -= 4;
    while (index > 0 && (bytes[index] & 0xC0) == 0x80) index--;
    return index;
}

size_t volstat_utf8_checked_prefix(const unsigned char *bytes, size_t count) {
    return volstat_cpu_has_avx2() ? checked_prefix_avx2(bytes, count) : 0;
}
#else
size_t volstat_utf8_checked_prefix(const unsigned char *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return 0;
}
#endif
