/// A growable byte buffer whose contents can be handed out as `UnsafeRawBufferPointer`s that stay
/// valid until the next `reset()` or growth; used to hold one record's values.
final class ByteArena {
    private(set) var storage: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(capacity: Int = 4096) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    func reset() { count = 0 }

    subscript(offset: Int) -> UInt8 { storage[offset] }

    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        if count + bytes.count > storage.count {
            let larger = UnsafeMutableRawBufferPointer.allocate(
                byteCount: max(storage.count * 2, count + bytes.count), alignment: 16)
            larger.baseAddress!.copyMemory(from: storage.baseAddress!, byteCount: count)
            storage.deallocate()
            storage = larger
        }
        (storage.baseAddress! + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    func bytes(start: Int, count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[start..<(start + count)])
    }
}
