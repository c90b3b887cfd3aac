import CSystemShims

/// Numbers distinct persons densely (0, 1, 2, ...) by their `PersonKey`: 4 bytes per slot plus
/// the 16-byte key per person. The key is an HMAC output, already uniformly random, so its low
/// bits serve as the hash.
public struct PersonIndex: Sendable {
    private var slots: [Int32]
    public private(set) var keys: [PersonKey] = []
    private var mask: Int

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 4 / 3 + 1 { size <<= 1 }
        slots = LargeArray.make(repeating: -1 as Int32, count: size)
        mask = size - 1
    }

    public var count: Int { keys.count }

    /// The index of `key`, adding it when new.
    @inline(__always)
    public mutating func insert(_ key: PersonKey) -> (index: Int32, inserted: Bool) {
        if (keys.count + 1) * 4 > slots.count * 3 { grow() }
        var slot = Int(truncatingIfNeeded: key.low) & mask
        while true {
            let stored = slots[slot]
            if stored < 0 { break }
            if keys[Int(stored)] == key { return (stored, false) }
            slot = (slot + 1) & mask
        }
        let index = Int32(keys.count)
        slots[slot] = index
        keys.append(key)
        return (index, true)
    }

    /// Starts loading the slot where `key` would be, so that a lookup soon after finds it in cache.
    @inline(__always)
    public func prefetch(_ key: PersonKey) {
        let slot = Int(truncatingIfNeeded: key.low) & mask
        slots.withUnsafeBufferPointer { volstat_prefetch($0.baseAddress! + slot) }
    }

    /// The index of `key`, or nil.
    public func index(of key: PersonKey) -> Int32? {
        var slot = Int(truncatingIfNeeded: key.low) & mask
        while true {
            let stored = slots[slot]
            if stored < 0 { return nil }
            if keys[Int(stored)] == key { return stored }
            slot = (slot + 1) & mask
        }
    }

    /// Forgets every person numbered `count` or above.
    public mutating func truncate(to count: Int) {
        guard count < keys.count else { return }
        keys.removeSubrange(count...)
        rebuild(size: slots.count)
    }

    private mutating func grow() { rebuild(size: slots.count * 2) }

    /// Makes room for `capacity` persons in all, so that the index does not grow on the way there.
    public mutating func reserve(_ capacity: Int) {
        var size = slots.count
        while size * 3 < capacity * 4 { size <<= 1 }
        if size > slots.count { rebuild(size: size) }
        keys.reserveCapacity(capacity)
    }

    private mutating func rebuild(size: Int) {
        slots = LargeArray.make(repeating: -1 as Int32, count: size)
        mask = size - 1
        for (index, key) in keys.enumerated() {
            var slot = Int(truncatingIfNeeded: key.low) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }
}

/// A set of 64-bit fingerprints with a small value each: record ids are remembered by a seeded
/// 64-bit hash instead of their bytes (12 bytes per slot: fingerprint and value side by side, so
/// that a lookup or an insert touches one cache line). Two different ids collide with
/// probability about n²/2⁶⁵: below one in a million for 3 million records.
public struct FingerprintTable: Sendable {
    /// The fingerprint is kept as two halves so that a slot is 12 bytes, not 16.
    struct Slot {
        var high: UInt32 = 0
        var low: UInt32 = 0
        var value: Int32 = 0

        init() {}

        init(fingerprint: UInt64, value: Int32) {
            high = UInt32(truncatingIfNeeded: fingerprint >> 32)
            low = UInt32(truncatingIfNeeded: fingerprint)
            self.value = value
        }

        @inline(__always)
        var fingerprint: UInt64 { UInt64(high) << 32 | UInt64(low) }
    }

    private var slots: [Slot]
    private var mask: Int
    public private(set) var count = 0
    public let seed: UInt64

    public init(capacity: Int = 1024, seed: UInt64) {
        var size = 16
        while size < capacity * 4 / 3 + 1 { size <<= 1 }
        slots = LargeArray.make(repeating: Slot(), count: size)
        mask = size - 1
        self.seed = seed
    }

    @inline(__always)
    public func fingerprint(_ key: UnsafeRawBufferPointer) -> UInt64 { Self.fingerprint(key, seed: seed) }

    /// The fingerprint a table with `seed` gives `key` (never 0, which marks an empty slot).
    @inline(__always)
    public static func fingerprint(_ key: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let hash = ByteHash.hash(key, seed: seed)
        return hash == 0 ? 1 : hash
    }

    /// Starts loading the slot of `fingerprint`, so that a lookup soon after finds it in cache.
    @inline(__always)
    public func prefetch(_ fingerprint: UInt64) {
        let slot = Int(truncatingIfNeeded: fingerprint) & mask
        slots.withUnsafeBufferPointer { volstat_prefetch($0.baseAddress! + slot) }
    }

    public func value(for fingerprint: UInt64) -> Int32? {
        slots.withUnsafeBufferPointer { slots in
            var index = Int(truncatingIfNeeded: fingerprint) & mask
            while true {
                let stored = slots[index].fingerprint
                if stored == 0 { return nil }
                if stored == fingerprint { return slots[index].value }
                index = (index + 1) & mask
            }
        }
    }

    public mutating func update(_ value: Int32, for fingerprint: UInt64) {
        if (count + 1) * 4 > slots.count * 3 { rebuild(size: slots.count * 2) { _ in false } }
        let mask = mask
        let inserted = slots.withUnsafeMutableBufferPointer { slots -> Bool in
            var index = Int(truncatingIfNeeded: fingerprint) & mask
            while true {
                let stored = slots[index].fingerprint
                if stored == 0 { break }
                if stored == fingerprint {
                    slots[index].value = value
                    return false
                }
                index = (index + 1) & mask
            }
            slots[index] = Slot(fingerprint: fingerprint, value: value)
            return true
        }
        if inserted { count += 1 }
    }

    /// Makes room for `capacity` entries in all, so that the table does not grow on the way there.
    public mutating func reserve(_ capacity: Int) {
        var size = slots.count
        while size * 3 < capacity * 4 { size <<= 1 }
        if size > slots.count { rebuild(size: size) { _ in false } }
    }

    /// Drops the entries whose value `remove` selects.
    public mutating func removeAll(where remove: (Int32) -> Bool) {
        rebuild(size: slots.count, dropping: remove)
    }

    private mutating func rebuild(size: Int, dropping remove: (Int32) -> Bool) {
        let old = slots
        slots = LargeArray.make(repeating: Slot(), count: size)
        mask = size - 1
        count = 0
        for slot in old where slot.fingerprint != 0 && !remove(slot.value) {
            var index = Int(truncatingIfNeeded: slot.fingerprint) & mask
            while slots[index].fingerprint != 0 { index = (index + 1) & mask }
            slots[index] = slot
            count += 1
        }
    }
}
