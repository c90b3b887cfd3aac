/// An exact hash map from short byte strings (source ids) to `Int32`, with the keys kept in one
/// arena: about 16 bytes per entry plus the key bytes, and no `String` per key.
///
/// Open addressing with linear probing; the table doubles at three quarters full.
public struct ByteKeyTable: Sendable {
    /// Per slot: the upper 32 bits of the hash (0 = empty, so stored tags are never 0), the key's
    /// offset and length in the arena, and the value.
    private var tags: [UInt32]
    private var offsets: [UInt32]
    private var lengths: [UInt16]
    private var values: [Int32]
    private var arena: [UInt8] = []
    private var mask: Int
    public private(set) var count = 0
    private let seed: UInt64

    public init(capacity: Int = 1024, seed: UInt64 = 0x5851_F42D_4C95_7F2D) {
        var size = 16
        while size < capacity * 4 / 3 + 1 { size <<= 1 }
        tags = [UInt32](repeating: 0, count: size)
        offsets = [UInt32](repeating: 0, count: size)
        lengths = [UInt16](repeating: 0, count: size)
        values = [Int32](repeating: 0, count: size)
        mask = size - 1
        self.seed = seed
    }

    @inline(__always)
    private func split(_ hash: UInt64) -> (slot: Int, tag: UInt32) {
        let tag = UInt32(truncatingIfNeeded: hash >> 32)
        return (Int(truncatingIfNeeded: hash) & mask, tag == 0 ? 1 : tag)
    }

    @inline(__always)
    private func keyEquals(_ slot: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let length = Int(lengths[slot])
        guard length == key.count else { return false }
        let offset = Int(offsets[slot])
        return arena.withUnsafeBytes { stored in
            length == 0 || memcmp(stored.baseAddress! + offset, key.baseAddress!, length) == 0
        }
    }

    /// The value stored for `key`, or nil.
    public func value(for key: UnsafeRawBufferPointer) -> Int32? {
        var (slot, tag) = split(ByteHash.hash(key, seed: seed))
        while true {
            let stored = tags[slot]
            if stored == 0 { return nil }
            if stored == tag && keyEquals(slot, key) { return values[slot] }
            slot = (slot + 1) & mask
        }
    }

    /// Stores `value` for `key` (keys longer than 65,535 bytes are cut there), replacing any
    /// previous value; returns the previous value.
    @discardableResult
    public mutating func update(_ value: Int32, for key: UnsafeRawBufferPointer) -> Int32? {
        let key = UnsafeRawBufferPointer(rebasing: key.prefix(Int(UInt16.max)))
        if (count + 1) * 4 > tags.count * 3 { grow() }
        var (slot, tag) = split(ByteHash.hash(key, seed: seed))
        while true {
            let stored = tags[slot]
            if stored == 0 { break }
            if stored == tag && keyEquals(slot, key) {
                let previous = values[slot]
                values[slot] = value
                return previous
            }
            slot = (slot + 1) & mask
        }
        tags[slot] = tag
        offsets[slot] = UInt32(arena.count)
        lengths[slot] = UInt16(key.count)
        values[slot] = value
        arena.append(contentsOf: key)
        count += 1
        return nil
    }

    /// Keeps only the entries whose value passes `keep` (rare: after a file fails part-way).
    public mutating func removeAll(where remove: (Int32) -> Bool) {
        var rebuilt = ByteKeyTable(capacity: count, seed: seed)
        arena.withUnsafeBytes { bytes in
            for slot in tags.indices where tags[slot] != 0 && !remove(values[slot]) {
                let key = UnsafeRawBufferPointer(
                    rebasing: bytes[Int(offsets[slot])..<(Int(offsets[slot]) + Int(lengths[slot]))])
                rebuilt.update(values[slot], for: key)
            }
        }
        self = rebuilt
    }

    private mutating func grow() {
        let old = (tags, offsets, lengths, values)
        let size = tags.count * 2
        tags = [UInt32](repeating: 0, count: size)
        offsets = [UInt32](repeating: 0, count: size)
        lengths = [UInt16](repeating: 0, count: size)
        values = [Int32](repeating: 0, count: size)
        mask = size - 1
        arena.withUnsafeBytes { bytes in
            for index in old.0.indices where old.0[index] != 0 {
                let key = UnsafeRawBufferPointer(
                    rebasing: bytes[Int(old.1[index])..<(Int(old.1[index]) + Int(old.2[index]))])
                var (slot, tag) = split(ByteHash.hash(key, seed: seed))
                while tags[slot] != 0 { slot = (slot + 1) & mask }
                tags[slot] = tag
                offsets[slot] = old.1[index]
                lengths[slot] = old.2[index]
                values[slot] = old.3[index]
            }
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
