#ifndef VOLSTAT_HMAC_SHA256_H
#define VOLSTAT_HMAC_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* HMAC-SHA256 with the keyed inner and outer states computed once, over BoringSSL's SHA-256
   (linked into volstat through swift-crypto, whose symbols carry the CCryptoBoringSSL_ prefix).
   swift-crypto's HMAC type allocates and goes through generic code per message; this costs two
   SHA-256 compressions and two 112-byte copies. HMACSHA256Tests checks it against swift-crypto. */

/* BoringSSL's SHA256_CTX (include/openssl/sha.h, struct sha256_state_st). */
typedef struct volstat_sha256_ctx {
    uint32_t h[8];
    uint32_t Nl, Nh;
    uint8_t data[64];
    unsigned num, md_len;
} volstat_sha256_ctx;

typedef struct volstat_hmac_sha256_key {
    volstat_sha256_ctx inner;
    volstat_sha256_ctx outer;
} volstat_hmac_sha256_key;

/* Prepares the keyed states for `secret` (of any length). */
void volstat_hmac_sha256_init(volstat_hmac_sha256_key *key, const uint8_t *secret, size_t length);

/* Writes HMAC-SHA256(secret, message) to `out`. */
void volstat_hmac_sha256(const volstat_hmac_sha256_key *key, const void *message, size_t length, uint8_t out[32]);

#endif
