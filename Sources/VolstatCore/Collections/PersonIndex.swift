import CSystemShims

/// Numbers distinct persons densely (0, 1, 2, ...) by their `PersonKey`: 8 bytes per slot plus
/// the 16-byte key per person. The key is an HMAC output, already uniformly random, so its low
/// bits serve as the hash and 32 of its high bits as a tag kept in the slot: a lookup compares
/// tags along the probe and reads a stored key only when a tag matches (almost only for the key
/// itself), so a new person costs one cache miss, not one per occupied slot on the way.
///
/// A class with its slots and keys in memory of its own, held by a `let`: a lookup through a
/// stored struct retained and released their storage around every call.
public final class PersonIndex {
    /// Owns the slots: 0 for an empty one; else the tag in the high 32 bits and the index + 1 in
    /// the low 32. Lookups read them through `slots` (its address and size).
    private var memory: ZeroedArray<UInt64> { didSet { slots = memory.unsafeBuffer } }
    private var slots: UnsafeMutableBufferPointer<UInt64>
    /// Owns the key of each person, by index: `count` of them in room for `keys.count`, faulted
    /// in ahead (see `ZeroedArray`) so that adding persons front to back does not stop at every
    /// new page. Read through `keys` (its address and size).
    private var keyMemory: ZeroedArray<PersonKey> { didSet { keys = keyMemory.unsafeBuffer } }
    private var keys: UnsafeMutableBufferPointer<PersonKey>
    public private(set) var count = 0

    /// Sized (see `LinearProbing`) to hold `capacity` persons without growing.
    public init(capacity: Int = 1024) {
        memory = ZeroedArray(count: LinearProbing.size(for: capacity))
        slots = memory.unsafeBuffer
        keyMemory = ZeroedArray(count: max(capacity, 16))
        keys = keyMemory.unsafeBuffer
    }

    /// The slot a key's probe starts at: its low word, mixed by a multiplication so that its low
    /// bits count too, scaled to the table's size (the tag comes from the high word). Keys that
    /// are not uniformly random (in tests, say) then still spread over the table.
    @inline(__always)
    private static func home(_ key: PersonKey, size: Int) -> Int {
        LinearProbing.home(key.low &* 0x9E37_79B9_7F4A_7C15, size: size)
    }

    @inline(__always)
    private static func tag(_ key: PersonKey) -> UInt64 { key.high & 0xFFFF_FFFF_0000_0000 }

    /// The index of `key` and the slot that holds it, or the empty slot where it would go.
    @inline(__always)
    private func find(_ key: PersonKey) -> (index: Int32?, slot: Int) {
        let tag = Self.tag(key)
        var slot = Self.home(key, size: slots.count)
        while true {
            let stored = slots[slot]
            if stored == 0 { return (nil, slot) }
            if stored & 0xFFFF_FFFF_0000_0000 == tag {
                let index = Int(stored & 0xFFFF_FFFF) - 1
                if keys[index] == key { return (Int32(index), slot) }
            }
            slot = LinearProbing.next(slot, size: slots.count)
        }
    }

    /// The index of `key`, adding it when new.
    @inline(__always)
    public func insert(_ key: PersonKey) -> (index: Int32, inserted: Bool) {
        if !LinearProbing.hasRoom(for: count + 1, in: slots.count) { grow() }
        let (found, slot) = find(key)
        if let found { return (found, false) }
        let index = Int32(count)
        slots[slot] = Self.tag(key) | UInt64(index + 1)
        if count == keys.count { reserveKeys(count * 2) }
        keys[count] = key
        count += 1
        return (index, true)
    }

    /// Room for `capacity` keys in all.
    private func reserveKeys(_ capacity: Int) {
        guard capacity > keys.count else { return }
        keyMemory = ZeroedArray(count: capacity, copying: keyMemory, first: count)
    }

    /// Starts loading the slot where `key` would be, so that a lookup soon after finds it in cache.
    @inline(__always)
    public func prefetch(_ key: PersonKey) { volstat_prefetch(slots.baseAddress! + Self.home(key, size: slots.count)) }

    /// The index of `key`, or nil.
    public func index(of key: PersonKey) -> Int32? { find(key).index }

    /// Forgets every person numbered `count` or above.
    public func truncate(to count: Int) {
        guard count < self.count else { return }
        self.count = count
        rebuild(size: slots.count)
    }

    private func grow() { rebuild(size: slots.count * 2) }

    /// Makes room for `capacity` persons in all, so that the index does not grow on the way there.
    public func reserve(_ capacity: Int) {
        let size = LinearProbing.size(for: capacity)
        if size > slots.count { rebuild(size: size) }
        reserveKeys(capacity)
    }

    private func rebuild(size: Int) {
        memory = ZeroedArray(count: size)
        for index in 0..<count {
            let key = keys[index]
            var slot = Self.home(key, size: size)
            while slots[slot] != 0 { slot = LinearProbing.next(slot, size: size) }
            slots[slot] = Self.tag(key) | UInt64(index + 1)
        }
    }
}
