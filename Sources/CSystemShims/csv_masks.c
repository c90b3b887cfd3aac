#include "volstat_system.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

__attribute__((target("avx2"))) static uint64_t mask64_avx2(__m256i low, __m256i high, __m256i byte) {
    uint64_t lowBits = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(low, byte));
    uint64_t highBits = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(high, byte));
    return lowBits | highBits << 32;
}

__attribute__((target("avx2"))) void volstat_csv_masks64_avx2(const unsigned char *bytes, unsigned char delimiter,
                                                              unsigned char quote, volstat_csv_masks *masks) {
    __m256i low = _mm256_loadu_si256((const __m256i *)bytes);
    __m256i high = _mm256_loadu_si256((const __m256i *)(bytes + 32));
    masks->delimiters = mask64_avx2(low, high, _mm256_set1_epi8((char)delimiter));
    masks->lineBreaks =
        mask64_avx2(low, high, _mm256_set1_epi8('\n')) | mask64_avx2(low, high, _mm256_set1_epi8('\r'));
    masks->quotes = mask64_avx2(low, high, _mm256_set1_epi8((char)quote));
}
#else
void volstat_csv_masks64_avx2(const unsigned char *bytes, unsigned char delimiter, unsigned char quote,
                              volstat_csv_masks *masks) {
    volstat_csv_masks64(bytes, delimiter, quote, masks);
}
#endif

#if defined(__SSE2__)
#include <emmintrin.h>

static uint64_t mask64_narrow(const unsigned char *bytes, char byte) {
    __m128i pattern = _mm_set1_epi8(byte);
    uint64_t bits = 0;
    for (int part = 0; part < 4; part++) {
        __m128i block = _mm_loadu_si128((const __m128i *)(bytes + 16 * part));
        bits |= (uint64_t)(unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(block, pattern)) << (16 * part);
    }
    return bits;
}
#else
static uint64_t mask64_narrow(const unsigned char *bytes, char byte) {
    uint64_t bits = 0;
    for (int i = 0; i < 64; i++) {
        if ((char)bytes[i] == byte) bits |= (uint64_t)1 << i;
    }
    return bits;
}
#endif

void volstat_csv_masks64(const unsigned char *bytes, unsigned char delimiter, unsigned char quote,
                         volstat_csv_masks *masks) {
    masks->delimiters = mask64_narrow(bytes, (char)delimiter);
    masks->lineBreaks = mask64_narrow(bytes, '\n') | mask64_narrow(bytes, '\r');
    masks->quotes = mask64_narrow(bytes, (char)quote);
}
