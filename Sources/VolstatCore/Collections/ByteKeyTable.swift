import CSystemShims

#if canImport(Glibc)
    import Glibc
#endif

/// An exact hash map from short byte strings (source ids) to `Int32`, with no `String` per key.
///
/// Open addressing with linear probing over 24-byte slots; the table doubles at three quarters
/// full. A key of up to 16 bytes is kept inside its slot, so that a lookup of a typical source id
/// touches one cache line and compares two words; a longer key is kept in an arena and compared
/// there.
///
/// A class, held by a `let`: a lookup through a stored struct retained and released its slots'
/// storage around every call.
public final class ByteKeyTable {
    /// One entry. `tag` holds 16 bits of the hash (0 = empty, so stored tags are never 0); `first`
    /// and `second` hold the key's bytes, zero-padded, when it has at most 16 of them, otherwise
    /// `first` is the key's offset in the arena.
    struct Slot {
        var first: UInt64 = 0
        var second: UInt64 = 0
        var tag: UInt16 = 0
        var length: UInt16 = 0
        var value: Int32 = 0
    }

    /// A key prepared for lookups: its bytes (cut at 65,535), hash, tag and, when short, its two
    /// words. Preparing once serves a prefetch, a lookup and an update of the same key.
    public struct Probe {
        let key: UnsafeRawBufferPointer
        let hash: UInt64
        let tag: UInt16
        var first: UInt64 = 0
        var second: UInt64 = 0

        var isInline: Bool { key.count <= ByteKeyTable.inlineLength }
    }

    static let inlineLength = 16

    /// Owns the slots, which lookups read through `slots` (its memory).
    private var memory: ZeroedArray<Slot> { didSet { slots = memory.unsafeBuffer } }
    private var slots: UnsafeMutableBufferPointer<Slot>
    private var arena: [UInt8] = []
    public private(set) var count = 0
    private let seed: UInt64

    /// Sized (see `LinearProbing`) to hold `capacity` keys without growing.
    public init(capacity: Int = 1024, seed: UInt64 = 0x5851_F42D_4C95_7F2D) {
        memory = ZeroedArray(count: LinearProbing.size(for: capacity))
        slots = memory.unsafeBuffer
        self.seed = seed
    }

    /// The slot a hash's probe starts at: its low 48 bits scaled to the size (the high 16 are the
    /// tag, which must not follow the slot).
    @inline(__always)
    private static func home(_ hash: UInt64, size: Int) -> Int { LinearProbing.home(hash << 16, size: size) }

    /// The seed of the table's hash, for `hash(_:seed:)` computed elsewhere.
    public var hashSeed: UInt64 { seed }

    /// The hash a table with `seed` uses for `key` (cut at 65,535 bytes).
    @inline(__always)
    public static func hash(_ key: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        ByteHash.hash(UnsafeRawBufferPointer(rebasing: key.prefix(Int(UInt16.max))), seed: seed)
    }

    /// Prepares `key` for `value(for:)` and `update(_:for:)`.
    @inline(__always)
    public func probe(_ key: UnsafeRawBufferPointer) -> Probe {
        probe(key, hash: Self.hash(key, seed: seed))
    }

    /// Prepares `key` whose `hash(_:seed:)` was computed already (on another thread).
    @inline(__always)
    public func probe(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Probe { Self.probe(key, hash: hash) }

    @inline(__always)
    static func probe(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Probe {
        let key = UnsafeRawBufferPointer(rebasing: key.prefix(Int(UInt16.max)))
        let tag = UInt16(truncatingIfNeeded: hash >> 48)
        var probe = Probe(key: key, hash: hash, tag: tag == 0 ? 1 : tag)
        if probe.isInline, let base = key.baseAddress {
            withUnsafeMutableBytes(of: &probe.first) { first in
                first.copyMemory(from: UnsafeRawBufferPointer(start: base, count: min(key.count, 8)))
            }
            if key.count > 8 {
                withUnsafeMutableBytes(of: &probe.second) { second in
                    second.copyMemory(from: UnsafeRawBufferPointer(start: base + 8, count: key.count - 8))
                }
            }
        }
        return probe
    }

    /// Starts loading the slot where a key with this hash would be, so that a lookup soon after
    /// finds it in cache.
    @inline(__always)
    public func prefetch(hash: UInt64) { Self.prefetch(hash: hash, in: UnsafeBufferPointer(slots)) }

    @inline(__always)
    fileprivate static func prefetch(hash: UInt64, in slots: UnsafeBufferPointer<Slot>) {
        // A 24-byte slot lies across two cache lines in two cases of eight: load both.
        let slot = UnsafeRawPointer(slots.baseAddress! + home(hash, size: slots.count))
        volstat_prefetch(slot)
        volstat_prefetch(slot + (MemoryLayout<Slot>.stride - 1))
    }

    /// A look at the table's slots from another thread, without reference counting: valid while
    /// the table is neither changed nor freed, which its owner guarantees (see
    /// `RowPreparation.KeyLookup`). Keys of more than 16 bytes, kept outside the slots, it leaves
    /// to the owner.
    public struct SlotView: @unchecked Sendable {
        fileprivate let slots: UnsafeBufferPointer<Slot>
        public let hashSeed: UInt64

        @inline(__always)
        public func prefetch(hash: UInt64) { ByteKeyTable.prefetch(hash: hash, in: slots) }

        /// The value stored for a key of at most 16 bytes whose hash is `hash`, or `.some(nil)`
        /// when it is not in the table; nil for a longer key.
        public func value(for key: UnsafeRawBufferPointer, hash: UInt64) -> Int32?? {
            let probe = ByteKeyTable.probe(key, hash: hash)
            guard probe.isInline else { return nil }
            return .some(ByteKeyTable.find(probe, in: slots) { _ in false }.value)
        }
    }

    /// See `SlotView`.
    public var slotView: SlotView { SlotView(slots: UnsafeBufferPointer(slots), hashSeed: seed) }

    /// The value stored for a prepared key and its slot, or nil and the empty slot where the key
    /// would go, in `slots`; a key of more than 16 bytes is compared by `matchesLongKey`.
    @inline(__always)
    fileprivate static func find(
        _ probe: Probe, in slots: UnsafeBufferPointer<Slot>, matchesLongKey: (Slot) -> Bool
    ) -> (value: Int32?, slot: Int) {
        var index = home(probe.hash, size: slots.count)
        while true {
            let slot = slots[index]
            if slot.tag == 0 { return (nil, index) }
            if slot.tag == probe.tag, Int(slot.length) == probe.key.count,
                probe.isInline ? slot.first == probe.first && slot.second == probe.second : matchesLongKey(slot)
            {
                return (slot.value, index)
            }
            index = LinearProbing.next(index, size: slots.count)
        }
    }

    /// Whether the long key a slot holds in the arena is the probe's.
    @inline(__always)
    private func matchesLongKey(_ slot: Slot, _ probe: Probe) -> Bool {
        arena.withUnsafeBytes { stored in
            memcmp(stored.baseAddress! + Int(slot.first), probe.key.baseAddress!, probe.key.count) == 0
        }
    }

    /// The value stored for `key`, or nil.
    public func value(for key: UnsafeRawBufferPointer) -> Int32? { value(for: probe(key)) }

    /// The value stored for a prepared key, or nil.
    public func value(for probe: Probe) -> Int32? { lookup(probe).value }

    /// The value stored for a prepared key and its slot, or nil and the empty slot where the key
    /// would go: an `insert(_:for:at:)` right after costs no second probe.
    public func lookup(_ probe: Probe) -> (value: Int32?, slot: Int) {
        Self.find(probe, in: UnsafeBufferPointer(slots)) { matchesLongKey($0, probe) }
    }

    /// Stores `value` for a key at the slot `lookup` gave for it, with nothing stored since: in the
    /// slot when it is empty, else (the key was there, or the table must grow) through `update`.
    public func insert(_ value: Int32, for probe: Probe, at slot: Int) {
        guard LinearProbing.hasRoom(for: count + 1, in: slots.count), slots[slot].tag == 0 else {
            update(value, for: probe)
            return
        }
        store(value, for: probe, at: slot)
    }

    /// Stores `value` for `key` (keys longer than 65,535 bytes are cut there), replacing any
    /// previous value; returns the previous value.
    @discardableResult
    public func update(_ value: Int32, for key: UnsafeRawBufferPointer) -> Int32? {
        update(value, for: probe(key))
    }

    /// Stores `value` for a prepared key, replacing any previous value; returns the previous value.
    @discardableResult
    public func update(_ value: Int32, for probe: Probe) -> Int32? {
        if !LinearProbing.hasRoom(for: count + 1, in: slots.count) { grow() }
        let (previous, index) = lookup(probe)
        if previous != nil {
            slots[index].value = value
        } else {
            store(value, for: probe, at: index)
        }
        return previous
    }

    private func store(_ value: Int32, for probe: Probe, at index: Int) {
        var slot = Slot(tag: probe.tag, length: UInt16(probe.key.count), value: value)
        if probe.isInline {
            slot.first = probe.first
            slot.second = probe.second
        } else {
            slot.first = UInt64(arena.count)
            arena.append(contentsOf: probe.key)
        }
        slots[index] = slot
        count += 1
    }

    /// Keeps only the entries whose value passes `keep` (rare: after a file fails part-way).
    public func removeAll(where remove: (Int32) -> Bool) {
        let rebuilt = ByteKeyTable(capacity: count, seed: seed)
        for slot in slots where slot.tag != 0 && !remove(slot.value) {
            withKey(of: slot) { _ = rebuilt.update(slot.value, for: $0) }
        }
        memory = rebuilt.memory
        arena = rebuilt.arena
        count = rebuilt.count
    }

    /// Calls `body` with the bytes of a stored slot's key.
    private func withKey<T>(of slot: Slot, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        let length = Int(slot.length)
        if length <= Self.inlineLength {
            var words = (slot.first, slot.second)
            return withUnsafeBytes(of: &words) { body(UnsafeRawBufferPointer(rebasing: $0.prefix(length))) }
        }
        return arena.withUnsafeBytes { stored in
            body(UnsafeRawBufferPointer(rebasing: stored[Int(slot.first)..<(Int(slot.first) + length)]))
        }
    }

    /// Makes room for `capacity` entries in all, so that the table does not grow (and rehash)
    /// on the way there: twice as many slots, half full at most. Each service record looks its
    /// volunteer up here; at three quarters full a hit walks 2.5 slots of 24 bytes on average,
    /// often into a cache line not loaded ahead, which took two thirds of the lookup's time.
    public func reserve(_ capacity: Int) {
        let size = LinearProbing.size(for: capacity * 3 / 2)
        if size > slots.count { rebuild(size: size) }
    }

    private func grow() { rebuild(size: slots.count * 2) }

    /// Places every entry again by its hash in a table of `size` slots (the keys are not copied).
    private func rebuild(size: Int) {
        let old = memory
        memory = ZeroedArray(count: size)
        for slot in old where slot.tag != 0 {
            let hash = withKey(of: slot) { ByteHash.hash($0, seed: seed) }
            var index = Self.home(hash, size: size)
            while slots[index].tag != 0 { index = LinearProbing.next(index, size: size) }
            slots[index] = slot
        }
    }
}
