extension RegionTable {
    /// Parses a 6-digit region code from bytes (surrounding spaces allowed); nil unless exactly
    /// six ASCII digits.
    @inline(__always)
    public static func parseCode(_ bytes: UnsafeRawBufferPointer) -> RegionCode? {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 { end -= 1 }
        guard end - start == 6 else { return nil }
        var value: Int32 = 0
        for index in start..<end {
            let digit = bytes[index] &- 0x30
            guard digit < 10 else { return nil }
            value = value * 10 + Int32(digit)
        }
        return value
    }
}
