/// Byte-wise tests on a 64-bit word (SWAR), for scanning and comparing 8 bytes at a time.
public enum WordBytes {
    /// A word with the high bit set in the bytes of `word` that are zero, exact up to and
    /// including its lowest zero byte (bytes above it may be marked falsely, when a 0x01 byte
    /// follows a zero one): nonzero exactly when `word` has a zero byte.
    @inlinable @inline(__always)
    public static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }
}
