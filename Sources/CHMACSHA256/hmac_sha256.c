#include "hmac_sha256.h"

#include <string.h>

int CCryptoBoringSSL_SHA256_Init(volstat_sha256_ctx *sha);
int CCryptoBoringSSL_SHA256_Update(volstat_sha256_ctx *sha, const void *data, size_t length);
int CCryptoBoringSSL_SHA256_Final(uint8_t out[32], volstat_sha256_ctx *sha);

void volstat_hmac_sha256_init(volstat_hmac_sha256_key *key, const uint8_t *secret, size_t length) {
    uint8_t block[64];
    memset(block, 0, sizeof block);
    if (length > sizeof block) {
        volstat_sha256_ctx hashed;
        CCryptoBoringSSL_SHA256_Init(&hashed);
        CCryptoBoringSSL_SHA256_Update(&hashed, secret, length);
        CCryptoBoringSSL_SHA256_Final(block, &hashed);
    } else if (length > 0) {
        memcpy(block, secret, length);
    }
    uint8_t pad[64];
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x36;
    CCryptoBoringSSL_SHA256_Init(&key->inner);
    CCryptoBoringSSL_SHA256_Update(&key->inner, pad, sizeof pad);
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x5c;
    CCryptoBoringSSL_SHA256_Init(&key->outer);
    CCryptoBoringSSL_SHA256_Update(&key->outer, pad, sizeof pad);
}

void volstat_hmac_sha256(const volstat_hmac_sha256_key *key, const void *message, size_t length, uint8_t out[32]) {
    volstat_sha256_ctx context = key->inner;
    uint8_t inner[32];
    CCryptoBoringSSL_SHA256_Update(&context, message, length);
    CCryptoBoringSSL_SHA256_Final(inner, &context);
    context = key->outer;
    CCryptoBoringSSL_SHA256_Update(&context, inner, sizeof inner);
    CCryptoBoringSSL_SHA256_Final(out, &context);
}
