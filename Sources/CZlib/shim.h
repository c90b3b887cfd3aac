#ifndef VOLSTAT_CZLIB_SHIM_H
#define VOLSTAT_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit2 and inflateInit2 are C macros, which Swift cannot call: these wrappers can. */
static inline int volstat_deflateInit2(z_streamp stream, int level, int windowBits, int memLevel) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY);
}

static inline int volstat_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
#endif
