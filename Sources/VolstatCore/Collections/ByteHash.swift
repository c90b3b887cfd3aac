/// A fast 64-bit hash of short byte strings (identifiers of 5 to 40 bytes), seeded so that
/// a hostile export cannot aim at collisions without the seed. Not cryptographic.
public enum ByteHash {
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 32
        x &*= 0xD6E8_FEB8_6659_FD93
        x ^= x >> 32
        x &*= 0xD6E8_FEB8_6659_FD93
        x ^= x >> 32
        return x
    }

    /// Hashes `bytes` eight at a time.
    @inline(__always)
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var h = seed ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
        guard let base = bytes.baseAddress else { return mix(h) }
        var offset = 0
        let count = bytes.count
        while offset + 8 <= count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            h = (h ^ mix(word &+ 0x9E37_79B9_7F4A_7C15)) &* 0xBF58_476D_1CE4_E5B9
            offset += 8
        }
        if offset < count {
            var tail: UInt64 = 0
            if count >= 8 {
                // The last eight bytes in one load, shifted down to the ones not hashed yet: the
                // same word as gathering them one by one.
                let last = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
                tail = last >> UInt64(8 * (8 - (count - offset)))
            } else {
                var shift: UInt64 = 0
                while offset < count {
                    tail |= UInt64(base.load(fromByteOffset: offset, as: UInt8.self)) << shift
                    shift += 8
                    offset += 1
                }
            }
            h = (h ^ mix(tail &+ 0x94D0_49BB_1331_11EB)) &* 0xBF58_476D_1CE4_E5B9
        }
        return mix(h)
    }
}
