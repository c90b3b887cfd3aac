#include "hmac_sha256.h"

#include <string.h>

int CCryptoBoringSSL_SHA256_Init(volstat_sha256_ctx *sha);
int CCryptoBoringSSL_SHA256_Update(volstat_sha256_ctx *sha, const void *data, size_t length);
int CCryptoBoringSSL_SHA256_Final(uint8_t out[32], volstat_sha256_ctx *sha);
void CCryptoBoringSSL_SHA256_Transform(volstat_sha256_ctx *sha, const uint8_t block[64]);

/* Pads `length` bytes already at the start of `block` as the last block of a message that
   follows one keyed block (64 bytes): 0x80, zeros, then the message's length in bits. */
static void pad_after_key(uint8_t block[64], size_t length) {
    block[length] = 0x80;
    memset(block + length + 1, 0, 55 - length);
    uint64_t bits = (uint64_t)(64 + length) * 8;
    for (int i = 0; i < 8; i++) block[63 - i] = (uint8_t)(bits >> (8 * i));
}

static void store_state(uint8_t out[32], const volstat_sha256_ctx *sha) {
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(sha->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(sha->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(sha->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)sha->h[i];
    }
}

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
    if (length <= 55) {
        /* One block each for the inner and the outer hash, padded here and compressed with
           SHA256_Transform: Update and Final cost as much again in buffering and in looking up
           the processor's features per call (4 % of the reading thread's time). */
        uint8_t block[64];
        if (length > 0) memcpy(block, message, length);
        pad_after_key(block, length);
        volstat_sha256_ctx context = key->inner;
        CCryptoBoringSSL_SHA256_Transform(&context, block);
        store_state(block, &context);
        pad_after_key(block, 32);
        context = key->outer;
        CCryptoBoringSSL_SHA256_Transform(&context, block);
        store_state(out, &context);
        return;
    }
    volstat_sha256_ctx context = key->inner;
    uint8_t inner[32];
    CCryptoBoringSSL_SHA256_Update(&context, message, length);
    CCryptoBoringSSL_SHA256_Final(inner, &context);
    context = key->outer;
    CCryptoBoringSSL_SHA256_Update(&context, inner, sizeof inner);
    CCryptoBoringSSL_SHA256_Final(out, &context);
}
