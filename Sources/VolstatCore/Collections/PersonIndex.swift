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
        slots = [Int32](repeating: -1, count: size)
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

    private mutating func rebuild(size: Int) {
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (index, key) in keys.enumerated() {
            var slot = Int(truncatingIfNeeded: key.low) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }
}

/// A set of 64-bit fingerprints with a small value each: record ids are remembered by a seeded
/// 64-bit hash instead of their bytes (8 bytes per slot). Two different ids collide with
/// probability about n²/2⁶⁵: below one in a million for 3 million records.
public struct FingerprintTable: Sendable {
    private var fingerprints: [UInt64]
    private var values: [Int32]
    private var mask: Int
    public private(set) var count = 0
    public let seed: UInt64

    public init(capacity: Int = 1024, seed: UInt64) {
        var size = 16
        while size < capacity * 4 / 3 + 1 { size <<= 1 }
        fingerprints = [UInt64](repeating: 0, count: size)
        values = [Int32](repeating: 0, count: size)
        mask = size - 1
        self.seed = seed
    }

    @inline(__always)
    public func fingerprint(_ key: UnsafeRawBufferPointer) -> UInt64 {
        let hash = ByteHash.hash(key, seed: seed)
        return hash == 0 ? 1 : hash
    }

    /// Starts loading the slot of `fingerprint`, so that a lookup soon after finds it in cache.
    @inline(__always)
    public func prefetch(_ fingerprint: UInt64) {
        let slot = Int(truncatingIfNeeded: fingerprint) & mask
        fingerprints.withUnsafeBufferPointer { volstat_prefetch($0.baseAddress! + slot) }
    }

    public func value(for fingerprint: UInt64) -> Int32? {
        var slot = Int(truncatingIfNeeded: fingerprint) & mask
        while true {
            let stored = fingerprints[slot]
            if stored == 0 { return nil }
            if stored == fingerprint { return values[slot] }
            slot = (slot + 1) & mask
        }
    }

    public mutating func update(_ value: Int32, for fingerprint: UInt64) {
        if (count + 1) * 4 > fingerprints.count * 3 { rebuild(size: fingerprints.count * 2) { _ in false } }
        var slot = Int(truncatingIfNeeded: fingerprint) & mask
        while true {
            let stored = fingerprints[slot]
            if stored == 0 { break }
            if stored == fingerprint {
                values[slot] = value
                return
            }
            slot = (slot + 1) & mask
        }
        fingerprints[slot] = fingerprint
        values[slot] = value
        count += 1
    }

    /// Drops the entries whose value `remove` selects.
    public mutating func removeAll(where remove: (Int32) -> Bool) {
        rebuild(size: fingerprints.count, dropping: remove)
    }

    private mutating func rebuild(size: Int, dropping remove: (Int32) -> Bool) {
        let old = (fingerprints, values)
        fingerprints = [UInt64](repeating: 0, count: size)
        values = [Int32](repeating: 0, count: size)
        mask = size - 1
        count = 0
        for index in old.0.indices where old.0[index] != 0 && !remove(old.1[index]) {
            var slot = Int(truncatingIfNeeded: old.0[index]) & mask
            while fingerprints[slot] != 0 { slot = (slot + 1) & mask }
            fingerprints[slot] = old.0[index]
            values[slot] = old.1[index]
            count += 1
        }
    }
}
