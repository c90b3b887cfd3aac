#if canImport(Glibc)
    import Glibc
#endif

/// Arrays for the big hash tables: memory of 4 MiB or more is marked for transparent huge pages
/// before it is first touched, so that random lookups in tables of millions of slots miss the
/// TLB far less often and the kernel maps it in 2 MiB steps instead of 4 KiB ones.
enum LargeArray {
    static let hugePageThreshold = 4 << 20

    /// `count` copies of `value`.
    static func make<Element>(repeating value: Element, count: Int) -> [Element] {
        [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress {
                adviseHugePages(UnsafeMutableRawPointer(base), bytes: count * MemoryLayout<Element>.stride)
            }
            buffer.initialize(repeating: value)
            initialized = count
        }
    }

    /// Marks the 2 MiB-aligned part of a region for huge pages; a kernel without them ignores it.
    static func adviseHugePages(_ start: UnsafeMutableRawPointer, bytes: Int) {
        guard bytes >= hugePageThreshold else { return }
        let huge = 2 << 20
        let first = (Int(bitPattern: start) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: start) + bytes) & ~(huge - 1)
        guard end > first, let aligned = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(aligned, end - first, MADV_HUGEPAGE)
    }
}
