import CSystemShims

/// Finds bytes that are not well-formed UTF-8, or the replacement character U+FFFD that the
/// transcoder puts where the source had bytes invalid in its encoding.
enum UTF8Check {
    /// The offset of the first problem in `bytes`, or nil when they are clean. Where the
    /// processor has AVX2, `volstat_utf8_checked_prefix` clears nearly all of them 32 bytes at a
    /// time and stops short of the first problem; the rest is checked here one character at a
    /// time, runs of ASCII 32 bytes at a time, then eight, straight to the first byte above ASCII.
    static func firstProblem(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return nil }
        var index = volstat_utf8_checked_prefix(base.assumingMemoryBound(to: UInt8.self), count)
        let high: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func eightBytes(at offset: Int) -> UInt64 {
            UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        while index < count {
            while index + 32 <= count,
                (eightBytes(at: index) | eightBytes(at: index + 8) | eightBytes(at: index + 16)
                    | eightBytes(at: index + 24))
                    & high == 0
            {
                index += 32
            }
            while index + 8 <= count {
                let above = eightBytes(at: index) & high
                if above != 0 {
                    // To the first byte above ASCII, rather than one byte per round of this loop.
                    index += above.trailingZeroBitCount >> 3
                    break
                }
                index += 8
            }
            guard index < count else { break }
            // Three-byte characters with leads E1-EC or EE (most of CJK) are valid whenever both
            // continuation bytes are: no overlong form, surrogate or U+FFFD can start with them.
            while index + 4 <= count {
                let word = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt32.self))
                let lead = word & 0xFF
                guard lead & 0xF0 == 0xE0, lead != 0xE0, lead != 0xED, lead != 0xEF,
                    word & 0x00C0_C000 == 0x0080_8000
                else { break }
                index += 3
            }
            guard index < count else { break }
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var minimum: UInt32
            var scalar: UInt32
            switch lead {
            case 0xC2...0xDF: (length, scalar, minimum) = (2, UInt32(lead & 0x1F), 0x80)
            case 0xE0...0xEF: (length, scalar, minimum) = (3, UInt32(lead & 0x0F), 0x800)
            case 0xF0...0xF4: (length, scalar, minimum) = (4, UInt32(lead & 0x07), 0x10000)
            default: return index
            }
            guard index + length <= count else { return index }
            for offset in 1..<length {
                let byte = bytes[index + offset]
                guard byte & 0xC0 == 0x80 else { return index }
                scalar = scalar << 6 | UInt32(byte & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) || scalar == 0xFFFD {
                return index
            }
            minimum = 0
            index += length
        }
        return nil
    }
}
